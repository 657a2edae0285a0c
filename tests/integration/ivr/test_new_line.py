"""Adding a fourth line is data: one entry in queues.yaml, a menu key and its prompt text, in a temporary
config dir. The PBX is re-rendered from it and the controller restarted on it; a real SIPp call pressing the
new key reaches the line's queue and agent, its draft ticket carries the line's label, and the wallboard
(/api/queues and the page in Chromium: tests/artifacts/wallboard_fourth_line.png) shows the line. `hotline config check` catches a menu naming a line that does not exist.
The normal config is rendered back (and the menus reset) afterwards, so later tests see the usual lines."""
from __future__ import annotations

import asyncio
import shutil
import time

import httpx
import pytest
import redis.asyncio as aioredis

from hotline.auth.service import get_directory, issue_token
from hotline.configcheck import check_config
from hotline.core.config import CONFIG_DIR
from hotline.pbx import sandbox
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps

from helpers import ARTIFACTS, new_caller

UTILITIES = """  - name: utilities
    label: 水电气热
    members: [agent4]
"""
MENU_KEY = """      "2": {action: queue, queue: utilities, record: true}   # 水电气热
"""


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def with_fourth_line(folder, menu_queue: str = "utilities"):
    """config/ copied to `folder` plus the utilities line, menu key 2 and the welcome's text for it."""
    shutil.copytree(CONFIG_DIR, folder)
    with open(folder / "queues.yaml", "a", encoding="utf-8") as catalogue:
        catalogue.write(UTILITIES)
    edit(folder / "menus.yaml", '      "9":', MENU_KEY.replace("utilities", menu_queue) + '      "9":')
    edit(folder / "prompts.yaml", "文旅服务请按9，", "文旅服务请按9，水电气热请按2，")
    return folder


@pytest.fixture
async def journal(redis_server):
    client = aioredis.from_url(redis_server, decode_responses=True)
    yield Journal(client)
    await client.aclose()


async def journal_with(journal, call_id: str, event: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        call = await journal.get(call_id)
        if event in [e["event"] for e in call["events"]] or time.monotonic() > deadline:
            return call
        await asyncio.sleep(0.1)


def test_config_check_catches_a_menu_naming_a_missing_line(tmp_path):
    assert check_config(with_fourth_line(tmp_path / "good")) == []
    problems = [str(p) for p in check_config(with_fourth_line(tmp_path / "bad", menu_queue="water"))]
    assert problems == ["menus.yaml:menus.main.keys.2.queue: line 'water' does not exist in queues.yaml "
                        "(business, tourism, general, utilities)"]


async def test_a_call_pressing_the_new_key_reaches_the_new_line(settings, pbx, redis, journal, controller_with_env,
                                                                sipp, chromium, tmp_path):
    folder = with_fourth_line(tmp_path / "config")
    fourth = settings.model_copy(update={"config_dir": folder, "queues_file": folder / "queues.yaml"})
    try:
        sandbox(fourth).up()                       # re-rendered: queues.conf and [hotline-queue] get the line
        assert "hotline-utilities" in pbx.cli("queue show hotline-utilities")
        with controller_with_env(HOTLINE_CONFIG_DIR=str(folder)):
            try:
                boss = await placed_call_reaches_utilities(settings, redis, journal, sipp)
                card = await wallboard_card(chromium, settings, boss, "utilities")
                assert "水电气热" in card
            finally:
                await redis.flushdb()              # the restarted controller publishes the usual menu again
    finally:
        sandbox(settings).up()                     # the usual three lines again
    assert "hotline-utilities" not in pbx.cli("queue show")


async def placed_call_reaches_utilities(settings, redis, journal, sipp) -> str:
    """Returns a supervisor's token."""
    phones = {n: sipp.agent_phone(n, talk_seconds=2.0) for n in (1, 2, 3, 4)}
    caller_id, started = new_caller(), time.time()
    result = await sipp.caller("12345", caller_id=caller_id, steps=hotline_steps(settings, "2"),
                               max_hold=30.0).arun(timeout=90)
    call = await find_call(journal, caller_id, since=started - 1)
    assert call is not None, f"no journal for caller {caller_id}"
    call = await journal_with(journal, call["call_id"], "agent_connect")
    assert result.answered
    assert (call["route"], call["queue"], call["agent"]) == ("utilities", "hotline-utilities", "agent4")
    assert not any(phones[n].events() for n in (1, 2, 3)), "only the new line's agent rang"

    base = f"http://{settings.http_host}:{settings.http_port}"
    directory = get_directory()
    agent = await issue_token(redis, directory.get("agent4"), 600)
    boss = await issue_token(redis, directory.get("supervisor"), 600)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        ticket = (await http.get(f"/api/tickets/{call['ticket_id']}",
                                 headers={"Authorization": f"Bearer {agent}"})).json()
        assert (ticket["line"], ticket["line_label"]) == ("utilities", "水电气热")
        queues = (await http.get("/api/queues", headers={"Authorization": f"Bearer {boss}"})).json()["queues"]
        utilities = next(q for q in queues if q["queue"] == "utilities")
        assert utilities["label"] == "水电气热" and utilities["answered"] >= 1
        listed = await http.get("/api/tickets?line=utilities", headers={"Authorization": f"Bearer {agent}"})
        assert [t["id"] for t in listed.json()["tickets"]] == [call["ticket_id"]]
        unknown = await http.get("/api/tickets?line=water", headers={"Authorization": f"Bearer {agent}"})
        assert unknown.status_code == 422 and "unknown line 'water'" in unknown.text
        return boss


async def wallboard_card(browser, settings, token: str, queue: str) -> str:
    """The wallboard as the supervisor sees it, screenshot saved; the line's card text."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{base}/wallboard/static/wallboard.css")   # same origin for localStorage, no redirect
    await page.evaluate("token => localStorage.setItem('hotline_token', token)", token)
    await page.goto(f"{base}/wallboard")
    card = page.locator(f'article.queue[data-queue="{queue}"]')
    await card.wait_for(timeout=15000)
    await page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "wallboard_fourth_line.png"), full_page=True)
    text = await card.inner_text()
    await page.close()
    return text
