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

import pytest
import yaml

from hotline.core.config import CONFIG_DIR
from hotline.core.lines import load_lines
from ivr.journal import Journal
from ivr.scripted_caller import find_call, prompt_seconds

from helpers import WebhookReceiver, eventually, new_caller

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
