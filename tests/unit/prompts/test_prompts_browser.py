"""The /admin prompts tab in Chromium at 1366×768 against the real app (issue 12 item 2): an admin sees every
prompt, uploads a recording and sees it in the list, listens (audio fetched with the session, played from a
blob under the CSP), re-synthesises from text, is told why a silent file is refused; a supervisor only listens."""
from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace

import pytest

from hotline.api.app import create_app
from hotline.core.config import CONFIG_DIR, Settings
from hotline.runtime import Features
from ivr import prompts

from agents_users import PASSWORDS, UNIT_LINES
from helpers import ARTIFACTS, serving
from prompt_audio import tone

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
async def site(unit_redis, users, free_port, tmp_path, built_defaults):
    settings = Settings(pbx_root=tmp_path / "root", prompts_file=CONFIG_DIR / "prompts.yaml", instance="unit")
    prompts.build_defaults(settings)   # the shipped texts, so the page shows what admins will see
    runtime = SimpleNamespace(redis=unit_redis, settings=settings, ami=None, features=Features(), lines=UNIT_LINES)
    async with serving(create_app(runtime), free_port()) as port:
        yield f"http://127.0.0.1:{port}"


async def open_prompts(browser, site, username):
    page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
    page.violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.violations.append(m.text))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto(f"{site}/login?next=/admin%23prompts")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORDS[username])
    await page.press("#password", "Enter")
    await page.wait_for_url("**/admin#prompts")
    shipped = len(prompts.default_texts(CONFIG_DIR / "prompts.yaml"))   # one row per shipped prompt
    await expect(page.locator("#prompts tbody tr")).to_have_count(shipped)
    return page


def row(page, name):
    return page.locator(f'#prompts tr[data-prompt="{name}"]')


async def test_admin_uploads_listens_resynthesises(site, chromium, tmp_path):
    page = await open_prompts(chromium, site, "admin")
    await expect(row(page, "welcome").locator(".text")).to_contain_text("企业服务请按1")
    await expect(row(page, "welcome")).to_have_attribute("data-source", "default")

    await row(page, "welcome").locator("input[type=file]").set_input_files(
        str(tone(tmp_path / "新年问候.wav", 2.0, hz=600, rate=44100, channels=2)))
    await expect(page.locator("#flash.ok")).to_contain_text("已更新为上传的录音")
    await expect(row(page, "welcome")).to_have_attribute("data-source", "uploaded")
    await expect(row(page, "welcome").locator(".duration")).to_have_text("2.0 秒")
    await expect(row(page, "welcome")).to_contain_text("由 admin")

    await row(page, "goodbye").locator("input[type=file]").set_input_files(
        str(tone(tmp_path / "silent.wav", 2.0, level=0.0)))
    await expect(page.locator("#flash.error")).to_contain_text("录音几乎无声")
    await expect(row(page, "goodbye")).to_have_attribute("data-source", "default")

    await row(page, "welcome").locator("button.listen").click()
    player = page.locator("#prompt-player")
    await expect(player).to_have_attribute("src", re.compile(r"^blob:"))
    await page.wait_for_function("document.getElementById('prompt-player').readyState >= 1")
    assert await player.evaluate("a => a.duration") == pytest.approx(2.0, abs=0.05)

    await row(page, "queue-wait").locator("button.tts").click()
    await page.locator("tr.tts-editor textarea").fill("正在为您转接，请不要挂机。")
    await page.locator("tr.tts-editor button.tts-go").click()
    await expect(row(page, "queue-wait")).to_have_attribute("data-source", "regenerated")
    await expect(row(page, "queue-wait").locator(".text")).to_have_text("正在为您转接，请不要挂机。")

    await page.fill("#new-prompt input[name=name]", "holiday-notice")
    await page.fill("#new-prompt input[name=text]", "春节期间热线正常服务。")
    await page.click("#new-prompt button.new-tts")
    await expect(row(page, "holiday-notice")).to_have_attribute("data-source", "regenerated")
    await expect(row(page, "holiday-notice").locator("button.reset")).to_be_disabled()   # no default to go back to

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS / "admin-prompts.png"), full_page=True)
    await row(page, "queue-wait").locator("button.reset").click()
    await expect(row(page, "queue-wait")).to_have_attribute("data-source", "default")
    assert page.violations == []


async def test_supervisor_listens_but_cannot_change(site, chromium):
    page = await open_prompts(chromium, site, "supervisor")
    await expect(page.locator("#readonly")).to_be_visible()
    await expect(row(page, "welcome").locator("button.listen")).to_be_visible()
    for control in ("button.upload", "button.tts", "button.reset"):
        await expect(row(page, "welcome").locator(control)).to_be_hidden()
    await row(page, "welcome").locator("button.listen").click()
    await expect(page.locator("#prompt-player")).to_have_attribute("src", re.compile(r"^blob:"))
    await page.screenshot(path=str(ARTIFACTS / "admin-prompts-supervisor.png"))
    assert page.violations == []
