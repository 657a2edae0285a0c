"""The /admin menu and rules editors in Chromium (1366×768) against the real controller, proven with real calls.

An admin builds a sub-menu with a new key, sees the inline error for a key that names no line, fixes it and
publishes; a real SIPp call pressing the keys reaches the new destination. The admin rolls back in the
page; the next real call uses the old menu. A supervisor sees the page read-only and gets 403 on publish.
The admin changes an alert threshold in the rules editor; the running supervision raises on it at once.
Screenshots: tests/artifacts/admin-menu*.png, admin-rules.png."""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import redis.asyncio as aioredis

from hotline.core import keys
from ivr.journal import Journal
from ivr.menus.store import MenuStore
from ivr.scripted_caller import FIRST_KEY_AFTER, find_call

from helpers import ARTIFACTS, eventually, new_caller

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
PASSWORDS = {"admin": "admin@12345", "supervisor": "supervisor@12345"}   # the sandbox demo users
TO_SUB_MENU_THEN_1 = [("pause", FIRST_KEY_AFTER), ("dtmf", "2"), ("pause", 2.0), ("dtmf", "1"), ("pause", 1.0),
                      ("dtmf", "#"), ("hold", None)]


@pytest.fixture
async def journal(redis_server):
    client = aioredis.from_url(redis_server, decode_responses=True)
    yield Journal(client)
    await client.aclose()


async def logged_in(browser, base: str, username: str):
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORDS[username])
    await page.press("#password", "Enter")
    await page.wait_for_url(f"{base}/{'admin' if username == 'admin' else 'wallboard'}")
    return page


def agent_phones(sipp) -> None:
    """Once per test: a phone keeps its port until the test ends, a second one on it would not start."""
    for n in (1, 2, 3):
        sipp.agent_phone(n, talk_seconds=1.0)


async def call_pressing_2_then_1(sipp, journal) -> dict:
    caller_id, started = new_caller(), time.time()
    result = await sipp.caller("12345", caller_id=caller_id, steps=TO_SUB_MENU_THEN_1, max_hold=25).arun(timeout=60)
    assert result.answered
    call = await find_call(journal, caller_id, since=started - 1)
    assert call is not None, f"no journal for caller {caller_id}"
    for _ in range(50):
        call = await journal.get(call["call_id"])
        if call.get("route"):
            break
        await asyncio.sleep(0.1)
    return call


async def build_sub_menu_and_publish(page) -> None:
    await page.goto(page.url.split("#")[0] + "#menu")
    await page.locator('article.menu-card[data-menu="main"]').wait_for()
    await page.click("#add-menu")
    sub = page.locator('article.menu-card[data-menu="sub1"]')
    await sub.locator("button.add-key").click()
    line = sub.locator('input[data-path="menus.sub1.keys.1.queue"]')
    await line.fill("water")
    await expect(sub.locator(".field-error.error")).to_contain_text("线路 water 不存在")
    await expect(page.locator("#publish")).to_be_disabled()
    await page.screenshot(path=str(ARTIFACTS / "admin-menu-error.png"))
    await line.fill("tourism")
    await expect(sub.locator(".field-error.error")).to_have_count(0)
    main = page.locator('article.menu-card[data-menu="main"]')
    await main.locator("button.add-key").click()                              # the first free key: 2
    await main.locator('select[data-path="menus.main.keys.2.action"]').select_option("menu")
    await main.locator('input[data-path="menus.main.keys.2.menu"]').fill("sub1")   # the shipped menu has others
    await expect(page.locator("#menu-check .ok-text")).to_be_visible()
    await expect(page.locator("#menu-preview")).to_contain_text("按2 → 进入子菜单 sub1")
    await expect(page.locator("#menu-diff")).to_contain_text("新增子菜单 sub1")
    await page.fill("#publish-note", "新增子菜单：按2再按1转文旅")
    await page.screenshot(path=str(ARTIFACTS / "admin-menu.png"), full_page=True)
    await page.click("#publish")
    await expect(page.locator("#flash")).to_contain_text("已发布版本")


async def test_admin_edits_the_menu_and_real_calls_follow(settings, controller, redis, journal, sipp, chromium):
    base = f"http://{settings.http_host}:{settings.http_port}"
    store = MenuStore(journal.redis)
    old_version, _ = await store.active_or_publish(settings.menus_file)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin = await logged_in(chromium, base, "admin")
    await build_sub_menu_and_publish(admin)
    new_version = await store.active_version()
    try:
        assert new_version != old_version
        agent_phones(sipp)
        call = await call_pressing_2_then_1(sipp, journal)
        keys = [(e.get("menu"), e.get("key")) for e in call["events"] if e["event"] == "key"]
        assert keys == [("main", "2"), ("sub1", "1")]
        assert (call["menu_version"], call["route"]) == (new_version, "tourism")

        await admin.reload()
        rollback = admin.locator(f'#menu-history tr[data-version="{old_version}"] button.rollback')
        await rollback.click()
        await rollback.click()                                                 # second click confirms
        await expect(admin.locator("#flash")).to_contain_text(f"已回滚到版本 {old_version}")
        assert await store.active_version() == old_version
        call = await call_pressing_2_then_1(sipp, journal)
        assert call["menu_version"] == old_version and call["route"] != "tourism"
        assert ("invalid_key", "2") in [(e["event"], e.get("key")) for e in call["events"]]

        boss = await logged_in(chromium, base, "supervisor")
        await boss.goto(f"{base}/admin#menu")
        await boss.locator('article.menu-card[data-menu="main"]').wait_for()
        await expect(boss.locator("#readonly")).to_be_visible()
        assert not await boss.locator("#publish").is_visible() and not await boss.locator("#add-menu").is_visible()
        assert await boss.locator('input[data-path="menus.main.prompt"]').is_disabled()
        await boss.screenshot(path=str(ARTIFACTS / "admin-menu-readonly.png"))
        token = await boss.evaluate("localStorage.getItem('hotline_token')")
        menu = (await store.get(new_version)).model_dump(mode="json")
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            assert (await http.post("/api/menus", json=menu)).status_code == 403
            assert (await http.post(f"/api/menus/{new_version}/activate")).status_code == 403
            audited = (await http.get("/api/audit?action=menu")).json()["entries"]
        assert [(e["action"], e["actor"]) for e in audited[:2]] == [("menu.rollback", "admin"), ("menu.publish", "admin")]
    finally:
        await store.rollback(old_version, author="test")


async def test_admin_changes_a_threshold_and_the_running_supervision_uses_it(settings, controller, redis, chromium):
    base = f"http://{settings.http_host}:{settings.http_port}"
    admin = await logged_in(chromium, base, "admin")
    token = await admin.evaluate("localStorage.getItem('hotline_token')")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        original = (await http.get("/api/rules")).json()["rules"]
        row = next(i for i, r in enumerate(original["default_rules"]) if r["id"] == "no_agent")
        try:
            await admin.click('#tabs [data-tab="rules"]')
            raise_at = admin.locator(f'input[data-path="default_rules.{row}.critical.raise"]')
            clear_at = admin.locator(f'input[data-path="default_rules.{row}.critical.clear"]')
            await raise_at.fill("9")                       # fewer than 9 agents on a line: critical
            await expect(admin.locator("#rules-body .field-error")).to_contain_text("must be strictly above")
            await clear_at.fill("10")
            await expect(admin.locator("#rules-check")).to_have_text("✔ 没有错误")
            await admin.fill("#rules-note", "在线坐席少于9人即严重告警（测试）")
            await admin.click("#rules-save")
            await expect(admin.locator("#flash")).to_contain_text("立即生效")
            await admin.screenshot(path=str(ARTIFACTS / "admin-rules.png"), full_page=True)

            async def raised():
                active = (await http.get("/api/alerts")).json()["active"]
                return next((a for a in active if a["alert_id"] == "business:no_agent" and a["threshold"] == 9), None)
            alert = await eventually(raised, timeout=20, what="a no_agent alert at the new threshold")
            assert alert["severity"] == "critical"
            assert (await http.get("/api/audit?action=rules")).json()["entries"][0]["actor"] == "admin"
        finally:   # the running controller back on the shipped rules, and later starts on the file alone
            assert (await http.put("/api/rules", json=original)).status_code == 200
            await redis.delete(keys.OVERFLOW_RULES())
