"""水电气热 partner lines with real calls: SIPp callers, SIPp partner phones, SIPp agent phones, real Asterisk and
the controller process (restarted on a config dir whose partners.yaml points the webhooks at a local server).

Two callers at once through menu key 8 (sub-menu 水电气热紧急报修): one presses 1 and the water company's phone
answers; the other presses 2 and the power company's phone rings unanswered until its ring timeout, so the
caller comes back to the general line, skips the description and reaches agent3, with a ticket. Both tickets
record the transfer and its result; each partner's webhook receives the draft ticket."""
from __future__ import annotations

import asyncio
import json
import shutil
import time

import yaml
from playwright.async_api import expect

from hotline.core.config import CONFIG_DIR
from hotline.core.lines import load_lines
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps, prompt_seconds

from helpers import ARTIFACTS, WebhookReceiver, eventually, new_caller

RING_TIMEOUT = load_lines(CONFIG_DIR / "queues.yaml").partner("power").ring_timeout_seconds


def config_with_webhooks(folder, url: str):
    shutil.copytree(CONFIG_DIR, folder)
    path = folder / "partners.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for partner in data["partners"]:
        partner["webhook"] = {"urls": [url], "backoff_seconds": 0.2}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def events(call: dict) -> list[str]:
    return [e["event"] for e in call["events"]]


async def journal_with(journal: Journal, call_id: str, *wanted: str, timeout: float = 20.0) -> dict:
    async def done():
        call = await journal.get(call_id)
        return call if all(w in events(call) for w in wanted) else None
    try:
        return await eventually(done, timeout, f"{wanted} in the journal of {call_id}", interval=0.2)
    except AssertionError:
        call = await journal.get(call_id)
        raise AssertionError(f"missing {wanted}: {events(call)}") from None


async def ticket_of(redis, call: dict) -> dict:
    return json.loads(await redis.get(f"hotline:ticket:{call['ticket_id']}"))


async def test_menu_key_reaches_the_partner_or_comes_back_to_the_general_line(settings, redis, controller_with_env,
                                                                              sipp, tmp_path):
    journal = Journal(redis)
    base = settings.partner_phone_base_port
    with WebhookReceiver().start() as receiver:
        folder = config_with_webhooks(tmp_path / "config", receiver.url)
        with controller_with_env(HOTLINE_CONFIG_DIR=str(folder)):
            water = sipp.phone("partner-water", base + 1, answer_delay=0.5, talk_seconds=3.0)
            power = sipp.phone("partner-power", base + 2, answer=False)
            agent3 = sipp.agent_phone(3, talk_seconds=2.0)
            answered_by, unanswered = new_caller(), new_caller()
            menu = [("pause", 1.5), ("dtmf", "8"), ("pause", 1.5)]
            back_after = prompt_seconds(settings, "transfer-partner") + RING_TIMEOUT + 1.0
            skip_description = [step for _ in range(4) for step in (("dtmf", "#"), ("pause", 1.5))]
            started = time.time()
            calls = [sipp.caller("12345", caller_id=answered_by, max_hold=30.0,
                                 steps=[*menu, ("dtmf", "1"), ("hold", None)]),
                     sipp.caller("12345", caller_id=unanswered, max_hold=30.0,
                                 steps=[*menu, ("dtmf", "2"), ("pause", back_after), *skip_description,
                                        ("hold", None)])]
            results = await asyncio.gather(*(c.arun(timeout=90) for c in calls))
            assert all(r.answered for r in results)

            # key 8, 1: the water company's phone answered the caller
            await water.wait_for("ANSWERED", caller=answered_by, timeout=5)
            call = await find_call(journal, answered_by, since=started - 1)
            call = await journal_with(journal, call["call_id"], "transfer_started", "transfer_answered")
            assert [e["key"] for e in call["events"] if e["event"] == "key"] == ["8", "1"]
            assert "queue_join" not in events(call)
            ticket = await ticket_of(redis, call)
            assert [(t["partner"], t["mode"], t["by"], t["result"]) for t in ticket["transfers"]] == \
                [("water", "menu", "menu", "answered")]
            assert ticket["transcript"]["status"] == "no_recording"

            # key 8, 2: the power company's phone rang unanswered; the caller came back and reached agent3
            await power.wait_for("CANCELLED", caller=unanswered, timeout=5)
            await agent3.wait_for("ANSWERED", caller=unanswered, timeout=5)
            call = await find_call(journal, unanswered, since=started - 1)
            call = await journal_with(journal, call["call_id"], "transfer_no_answer", "transfer_returned",
                                      "agent_connect")
            order = [e for e in events(call) if e.startswith("transfer_") or e in ("route", "agent_connect")]
            assert order == ["transfer_started", "transfer_no_answer", "transfer_returned", "route", "agent_connect"]
            no_answer = next(e for e in call["events"] if e["event"] == "transfer_no_answer")
            assert no_answer["status"] == "NOANSWER" and call["route"] == "general" and call["agent"] == "agent3"
            ticket = await ticket_of(redis, call)
            assert ticket["line"] == "general"
            assert [(t["partner"], t["result"], t["status"]) for t in ticket["transfers"]] == \
                [("power", "returned", "NOANSWER")]

            # each partner received its draft ticket
            await eventually(lambda: len(receiver.received) >= 2, 10, "two partner webhooks")
            bodies = {body["partner"]: body for _, body in receiver.received}
            assert set(bodies) == {"water", "power"}
            assert bodies["water"]["mode"] == "menu" and bodies["water"]["ticket"]["caller"] == answered_by
            assert bodies["power"]["ticket"]["call_id"] == call["call_id"]


async def console_for(browser, base_url: str, username: str):
    page = await (await browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
    await page.goto(base_url + "/login")
    await page.fill("#username", username)
    await page.fill("#password", f"{username}@12345")  # demo password (config/users.yaml)
    await page.press("#password", "Enter")
    await page.wait_for_url("**/console")
    await expect(page.locator("#link-state")).to_have_text("已连接", timeout=10_000)
    await page.click("#queue-login")
    await expect(page.locator("#state-summary")).to_have_text("空闲可接听", timeout=10_000)
    return page


async def connected_call(sipp, settings, page, phone, journal, caller: str) -> dict:
    """A key-1 caller (企业服务) skips the description, agent1's phone answers and the console pops the call."""
    started = time.time()
    sipp.caller("12345", caller_id=caller, steps=hotline_steps(settings, "1"), max_hold=60.0).start()
    await phone.wait_for("ANSWERED", caller=caller, timeout=30)
    await expect(page.locator("#caller-number")).to_have_text(caller, timeout=10_000)
    await expect(page.locator('#transfer-partners li[data-partner="water"] button[data-mode="blind"]')).to_be_visible()
    return await find_call(journal, caller, since=started - 1)


async def test_agent_transfers_blind_and_attended_from_the_console(settings, controller, sipp, chromium, redis):
    journal, base = Journal(redis), settings.partner_phone_base_port
    agent1 = sipp.agent_phone(1, answer_delay=0.5)            # talks until Asterisk hangs up its leg
    water = sipp.phone("partner-water", base + 1, answer_delay=0.5)
    power = sipp.phone("partner-power", base + 2, answer_delay=0.5)
    page = await console_for(chromium, f"http://{settings.http_host}:{settings.http_port}", "agent1")

    # blind: the caller goes to the water company, agent1's leg ends
    caller = new_caller()
    call = await connected_call(sipp, settings, page, agent1, journal, caller)
    await page.click('#transfer-partners li[data-partner="water"] button[data-mode="blind"]')
    await water.wait_for("ANSWERED", caller=caller, timeout=15)
    await agent1.wait_for("BYE", caller=caller, timeout=10)
    call = await journal_with(journal, call["call_id"], "transfer_started", "transfer_answered")
    started = next(e for e in call["events"] if e["event"] == "transfer_started")
    assert (started["partner"], started["mode"], started["by"]) == ("water", "blind", "agent1")
    ticket = await eventually(lambda: ticket_of(redis, call), 5, "ticket")
    await eventually(lambda: _settled(redis, call), 10, "the blind transfer's result on the ticket")
    ticket = await ticket_of(redis, call)
    assert [(t["partner"], t["mode"], t["by"], t["result"]) for t in ticket["transfers"]] == \
        [("water", "blind", "agent1", "answered")]

    # attended: agent1 talks to the power company first (the caller waits), then completes
    caller = new_caller()
    call = await connected_call(sipp, settings, page, agent1, journal, caller)
    await expect(page.locator('#transfer-partners li[data-partner="power"]')).to_be_visible()
    await page.click('#transfer-partners li[data-partner="power"] button[data-mode="attended"]')
    await power.wait_for("ANSWERED", timeout=15)
    await expect(page.locator("#transfer-consult")).to_be_visible()
    await expect(page.locator("#transfer-consult-text")).to_have_text("咨询中：供电")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-transfer.png"), full_page=True)
    await page.click("#transfer-complete")
    await expect(page.locator("#transfer-message")).to_have_text("转接供电：已接通", timeout=10_000)
    await agent1.wait_for("BYE", caller=caller, timeout=10)
    assert not [e for e in power.events() if e.kind in ("BYE", "CANCELLED")], "the partner still talks to the caller"
    call = await journal_with(journal, call["call_id"], "transfer_started", "transfer_answered")
    ticket = await ticket_of(redis, call)
    assert [(t["partner"], t["mode"], t["by"], t["result"]) for t in ticket["transfers"]] == \
        [("power", "attended", "agent1", "answered")]


async def _settled(redis, call: dict) -> bool:
    return all(t["result"] != "pending" for t in (await ticket_of(redis, call))["transfers"])
