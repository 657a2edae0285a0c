"""预约回拨 with real calls: SIPp callers -> Asterisk 22 -> the controller -> app_queue -> SIPp phones.

One test, three acts (each act needs the one before): a caller presses 1 while no agent is free and keeps
their place ahead of a caller still waiting; the controller restarts; the agent signs in on the console
(Chromium), the placeholder reaches them first, the caller's SIPp phone is called back and connected, the
pop is marked 回拨. Then a caller whose phone never answers: retried, then the ticket says 回拨未接通; the
wallboard shows it all.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
from unittest import mock

import pytest
from playwright.async_api import expect

from ivr.scripted_caller import callback_steps
from telephony.sipp import SippAgentPhone

from helpers import ARTIFACTS, eventually, new_caller

pytestmark = pytest.mark.integration
CONFIG = """
offer_every_seconds: 20
ring_seconds: 5
attempts: 2
retry_interval_seconds: 1
confirm_timeout_seconds: 4
lines:
  tourism: {threshold_seconds: 60}
"""


@pytest.fixture
def callback_phone_port() -> int:
    """The callers' phones answer call-backs here (this instance's range 5561-5569 in the sandbox)."""
    return int(os.environ.get("HOTLINE_TEST_CALLBACK_PORT", "5561"))


async def login(browser, base_url: str, username: str, password: str, landing: str):
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(base_url + "/login?next=" + landing)
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
    await page.wait_for_url("**" + landing)
    return page


async def callback_of(redis, caller: str) -> dict | None:
    for call_id in await redis.zrange("hotline:callbacks", 0, -1):
        record = await redis.hgetall(f"hotline:callback:{call_id}")
        if record.get("number") == caller:
            return record
    return None


async def status_of(redis, caller: str, *statuses: str) -> dict | None:
    record = await callback_of(redis, caller)
    return record if record and record["status"] in statuses else None


async def ticket_of(redis, record: dict) -> dict:
    return json.loads(await redis.get(f"hotline:ticket:{record['ticket_id']}"))


async def test_callback_keeps_the_place_survives_a_restart_and_retries(
        settings, pbx, controller_with_env, redis, sipp, chromium, tmp_path, callback_phone_port):
    config = tmp_path / "callback.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {"HOTLINE_CALLBACK_FILE": str(config),
           "HOTLINE_CALLBACK_DIAL": f"PJSIP/callers/sip:{{number}}@127.0.0.1:{callback_phone_port}"}
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    caller_a, caller_b, caller_c = new_caller(), new_caller(), new_caller()
    members = _members(pbx)   # agent2, and agent4 if an earlier test signed it in
    for member in members:    # no agent free on 文旅 (key 9)
        pbx.cli(f"queue pause member {member} queue hotline-tourism")
    try:
        with controller_with_env(**env) as controller:
            # act 1: A and B wait; A presses 1 and confirms the number read back, hangs up, keeps the place
            first = sipp.caller(settings.hotline_number, caller_id=caller_a, steps=callback_steps("9", in_queue=4.0),
                                max_hold=30)
            first.start()
            await asyncio.sleep(2.0)   # B joins the queue after A
            sipp.caller(settings.hotline_number, caller_id=caller_b, max_hold=25,
                        steps=[("pause", 1.5), ("dtmf", "9"), ("pause", 1.0), ("dtmf", "#"), ("hold", None)]).start()
            booked = await eventually(lambda: status_of(redis, caller_a, "queued"), 40, "A's call-back")
            entries = await eventually(lambda: _queue_entries(pbx, 2), 10, "placeholder and B in the queue")
            assert booked["position"] == "1"   # where A left the queue (QUEUEPOSITION)
            assert entries[0].startswith(f"Local/cb-{booked['call_id']}-1@"), entries   # A's place, ahead of B
            assert entries[1].startswith("PJSIP/callers-"), entries

            result = await eventually(lambda: not first.process.running and first.result(), 20, "A hung up")
            assert result.remote_hangup   # the hotline said goodbye and hung up

            # act 2: the controller restarts between the request and the call-back
            controller.stop()
            with mock.patch.dict(os.environ, env):
                controller.start(timeout=60)

            # act 3: agent2 frees up (示闲 on the console): the placeholder reaches them, A's phone is called back
            uas = SippAgentPhone("caller-a", callback_phone_port, answer_delay=0.3, work_dir=tmp_path / "uas-a").start()
            phone = sipp.agent_phone(2, answer_delay=0.3, talk_seconds=12)
            try:
                console = await login(chromium, base_url, "agent2", "agent2@12345", "/console")
                await expect(console.locator("#link-state")).to_have_text("已连接", timeout=10_000)
                await console.click("#resume")   # 示闲
                await uas.wait_for("ANSWERED", timeout=40)
                await expect(console.locator("#callback-badge")).to_be_visible(timeout=10_000)
                await expect(console.locator("#caller-number")).to_have_text(caller_a)
                ARTIFACTS.mkdir(exist_ok=True)
                await console.screenshot(path=str(ARTIFACTS / "callback-console.png"), full_page=True)
                assert "12345" in uas.events()[0].detail   # the caller sees the hotline calling
                first_ring = phone.events()[0]
                assert first_ring.kind == "INVITE" and caller_a in first_ring.detail   # A before B
                done = await eventually(lambda: status_of(redis, caller_a, "connected"), 20, "A connected")
                assert done["agent"] == "agent2" and done["attempts"] == "1"
                assert (await ticket_of(redis, done))["callback"] == "connected"
                pops = [json.loads(m["data"]) for _, m in await redis.xrange("hotline:screenpop:agent2")]
                pop = next(p for p in pops if p["type"] == "pop" and p["call"]["call_id"] == done["call_id"])
                assert pop["callback"] is True and pop["ticket"]["id"] == done["ticket_id"]
                journal = [json.loads(e)["event"] for e in await redis.lrange(f"hotline:call:{done['call_id']}:journal",
                                                                               0, -1)]
                assert journal.index("callback_requested") < journal.index("callback_connected")
            finally:
                uas.stop()

            # act 4: C's phone never answers: 2 attempts, then the ticket says 回拨未接通
            await console.click("#pause")   # 示忙: no agent free again
            await expect(console.locator("#state-summary")).to_contain_text("示忙", timeout=10_000)
            await eventually(lambda: _queue_entries(pbx, 0) is not None, 30, "the queue empty")
            silent = SippAgentPhone("caller-c", callback_phone_port, answer=False, work_dir=tmp_path / "uas-c").start()
            try:
                sipp.caller(settings.hotline_number, caller_id=caller_c, steps=callback_steps("9", in_queue=2.0),
                            max_hold=30).start()
                await eventually(lambda: status_of(redis, caller_c, "queued"), 40, "C's call-back")
                await console.click("#resume")   # 示闲
                failed = await eventually(lambda: status_of(redis, caller_c, "failed"), 60, "回拨未接通")
                assert failed["attempts"] == "2"
                assert len([e for e in silent.events() if e.kind == "INVITE"]) == 2
                ticket = await ticket_of(redis, failed)
                assert ticket["callback"] == "failed" and ticket["audit"][-1]["action"] == "回拨未接通"
            finally:
                silent.stop()

            # the supervisor sees pending / connected / failed on the wallboard
            board = await login(chromium, base_url, "supervisor", "supervisor@12345", "/wallboard")
            panel = board.locator("#callbacks-panel")
            await expect(panel.locator('[data-k="connected"] b')).to_have_text("1", timeout=10_000)
            await expect(panel.locator('[data-k="failed"] b')).to_have_text("1")
            await expect(panel).to_contain_text("回拨未接通")
            await board.screenshot(path=str(ARTIFACTS / "callback-wallboard.png"), full_page=True)
    finally:
        for member in members:
            pbx.cli(f"queue unpause member {member} queue hotline-tourism")


def _members(pbx) -> list[str]:
    found = re.findall(r"\((PJSIP/agent\d+)\)", pbx.cli("queue show hotline-tourism"))
    assert "PJSIP/agent2" in found
    return sorted(set(found))


def _queue_entries(pbx, count: int) -> list[str] | None:
    """The channels waiting in hotline-tourism, in queue order, once there are `count` of them."""
    lines = pbx.cli("queue show hotline-tourism").splitlines()
    entries = [line.split(".", 1)[1].split("(wait")[0].strip() for line in lines
               if line.strip()[:1].isdigit() and "(wait" in line]
    return entries if len(entries) == count else None
