"""Real calls through real Asterisk: SIPp callers, SIPp agent phones, the controller process."""
from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from ivr.journal import Journal
from ivr.menus.store import DEFAULT_MENU, MenuStore, parse_menu
from ivr.scripted_caller import FIRST_KEY_AFTER, find_call, hotline_steps, prompt_seconds

from helpers import new_caller

AGENT_OF_ROUTE = {"business": 1, "tourism": 2, "general": 3}  # config/queues.yaml static members


@pytest.fixture
async def journal(redis_server):
    client = aioredis.from_url(redis_server, decode_responses=True)
    yield Journal(client)
    await client.aclose()


def events(call: dict) -> list[str]:
    return [e["event"] for e in call["events"]]


async def journal_with(journal, call: dict, *wanted: str) -> dict:
    """The call's journal again once it has every `wanted` event, or as it is after ~5 s (the asserts that
    follow tell what is missing)."""
    for _ in range(50):
        call = await journal.get(call["call_id"])
        if all(name in events(call) for name in wanted):
            break
        await asyncio.sleep(0.1)
    return call


async def place(sipp, journal, steps, *, answer_agents=True, timeout=90):
    """One call; agent phones 1-3 answer and hang up after 2 s. Returns (SIPp result, journal, phones)."""
    phones = {n: sipp.agent_phone(n, answer=answer_agents, talk_seconds=2.0) for n in AGENT_OF_ROUTE.values()}
    caller_id, started = new_caller(), time.time()
    result = await sipp.caller("12345", caller_id=caller_id, steps=steps, max_hold=30.0).arun(timeout=timeout)
    call = await find_call(journal, caller_id, since=started - 1)
    assert call is not None, f"no journal for caller {caller_id}"
    return result, call, phones


async def routed_to_agent(call, journal, route):
    """The journal shows the route, the queue join and the connect to that route's agent."""
    call = await journal_with(journal, call, "agent_connect")
    assert call["route"] == route
    assert call["queue"] == f"hotline-{route}"
    assert call["agent"] == f"agent{AGENT_OF_ROUTE[route]}"
    assert call["invite_to_answer_seconds"] <= 2.0
    assert call.get("ticket_id")
    return call


@pytest.mark.parametrize("key,route", [("1", "business"), ("9", "tourism"), ("0", "general")])
async def test_key_routes_to_the_lines_agent(settings, controller, sipp, journal, key, route):
    result, call, phones = await place(sipp, journal, hotline_steps(settings, key))
    assert result.answered and result.answer_latency <= 2.0
    # the caller hears ringback (180), then the answer at about the ring time (a quiet node: no lateness to give)
    assert "SIP/2.0 180 Ringing" in (result.work_dir / "messages.log").read_text(errors="replace")
    assert result.answer_latency >= settings.ring_seconds - 0.3
    call = await routed_to_agent(call, journal, route)
    assert ("key", key) in [(e["event"], e.get("key")) for e in call["events"]]
    assert "recording_skipped" in events(call)
    ticket = json.loads(await journal.redis.get(f"hotline:ticket:{call['ticket_id']}"))
    assert ticket["transcript"]["status"] == "no_recording"  # never "pending" forever (issue 10)
    other = [n for r, n in AGENT_OF_ROUTE.items() if r != route]
    assert all(not phones[n].events() for n in other), "only the line's agent rings"


async def test_no_key_goes_to_general(settings, controller, sipp, journal):
    result, call, _ = await place(sipp, journal, hotline_steps(settings, None))
    assert result.answered
    call = await routed_to_agent(call, journal, "general")
    assert "timeout" in events(call)


async def test_invalid_key_twice_goes_to_general_after_a_retry(settings, controller, sipp, journal):
    retry_at = prompt_seconds(settings, "input-error") + FIRST_KEY_AFTER
    steps = [("pause", FIRST_KEY_AFTER), ("dtmf", "5"), ("pause", retry_at), ("dtmf", "7"),
             ("pause", 1.0), ("dtmf", "#"), ("hold", None)]
    result, call, _ = await place(sipp, journal, steps)
    assert result.answered
    call = await routed_to_agent(call, journal, "general")
    assert [e.get("key") for e in call["events"] if e["event"] == "invalid_key"] == ["5", "7"]


async def test_star_repeats_the_menu(settings, controller, sipp, journal):
    steps = [("pause", FIRST_KEY_AFTER), ("dtmf", "*"), ("pause", FIRST_KEY_AFTER), ("dtmf", "9"),
             ("pause", 1.0), ("dtmf", "#"), ("hold", None)]
    result, call, _ = await place(sipp, journal, steps)
    assert result.answered
    call = await routed_to_agent(call, journal, "tourism")
    assert events(call).index("repeat") < events(call).index("route")


async def test_hangup_mid_menu_is_journaled(settings, controller, sipp, journal):
    result, call, _ = await place(sipp, journal, [("pause", 2.0)])
    assert result.answered and not result.remote_hangup  # the caller hung up, not the hotline
    call = await journal_with(journal, call, "caller_hangup", "hangup")
    assert call["hangup_stage"] == "menu"
    assert "route" not in events(call) and "ticket_id" not in call


async def test_hangup_mid_recording_keeps_what_was_said(settings, controller, sipp, journal, tmp_path):
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(speech), "小区暖气不热，已经三天了"], check=True)
    steps = [("pause", FIRST_KEY_AFTER), ("dtmf", "9"), ("pause", prompt_seconds(settings, "record-description") + 1.2),
             ("audio", speech)]  # then BYE while still recording
    result, call, _ = await place(sipp, journal, steps)
    assert result.answered and not result.remote_hangup
    call = await journal_with(journal, call, "asr_job_published", "caller_hangup")
    recording = next(e for e in call["events"] if e["event"] == "recording")
    assert recording["ended_by"] == "hangup"
    assert call["hangup_stage"] == "recording" and call.get("ticket_id")
    assert Path(recording["path"]).stat().st_size > 8000 * 2  # more than a second of audio kept
    assert Path(recording["path"]).stat().st_mode & 0o077 == 0  # a caller's voice is not world-readable
    assert Path(recording["path"]).parent.stat().st_mode & 0o077 == 0
    jobs = await journal.redis.xrange("hotline:recordings")
    assert any(fields["call_id"] == call["call_id"] for _, fields in jobs)


async def test_controller_killed_call_still_answered_within_2s_to_general(settings, controller, sipp, journal):
    controller.kill()
    phone = sipp.agent_phone(AGENT_OF_ROUTE["general"], talk_seconds=1.0)
    caller_id = new_caller()
    result = await sipp.caller("12345", caller_id=caller_id, steps=[("hold", None)], max_hold=20).arun(timeout=60)
    assert result.answered and result.answer_latency <= 2.0
    assert await phone.wait_for("ANSWERED", caller=caller_id, timeout=10)


async def test_controller_restart_releases_waiting_calls(settings, controller, sipp, journal, pbx):
    phone = sipp.agent_phone(AGENT_OF_ROUTE["general"], talk_seconds=1.0)
    caller_id = new_caller()
    caller = sipp.caller("12345", caller_id=caller_id, steps=[("hold", None)], max_hold=40)
    caller.start()
    call = await find_call(journal, caller_id, since=time.time() - 5)
    assert call is not None, "the controller never took the call"
    assert "route" not in events(call)  # still in the menu when the controller dies
    controller.kill()
    controller.ensure_running()  # the new controller finds the channel in AsyncAGI and releases it
    assert await phone.wait_for("ANSWERED", caller=caller_id, timeout=20)
    await caller.process.wait_async(40)
    assert "AGI" not in pbx.cli("core show channels concise")


async def test_call_left_mid_menu_by_a_dead_controller_reaches_general_after_its_lease(
        settings, controller_with_env, sipp, journal):
    with controller_with_env(HOTLINE_CALL_FLOW_LEASE_SECONDS="5") as controller:
        phone = sipp.agent_phone(AGENT_OF_ROUTE["general"], talk_seconds=1.0)
        caller_id = new_caller()
        caller = sipp.caller("12345", caller_id=caller_id, steps=[("hold", None)], max_hold=40)
        caller.start()
        assert await find_call(journal, caller_id, since=time.time() - 5)  # the controller has the call
        controller.kill()  # and never comes back for it: no restart, no release
        answered = await phone.wait_for("ANSWERED", caller=caller_id, timeout=20)
        await caller.process.wait_async(40)
    assert answered


async def test_menu_change_applies_to_next_call_and_running_calls_keep_theirs(settings, controller, sipp, journal):
    store = MenuStore(journal.redis)
    old_version, old_tree = await store.active_or_publish(DEFAULT_MENU)
    swapped = old_tree.model_dump(mode="json")
    swapped["menus"]["main"]["keys"]["1"] = {"action": "queue", "queue": "tourism", "record": False}
    for n in AGENT_OF_ROUTE.values():
        sipp.agent_phone(n, talk_seconds=1.0)
    early_id, late_id = new_caller(), new_caller()
    early = sipp.caller("12345", caller_id=early_id, max_hold=20,
                        steps=[("pause", 4.0), ("dtmf", "1"), ("pause", 1.0), ("dtmf", "#"), ("hold", None)])
    early.start()
    assert await find_call(journal, early_id, since=time.time() - 5)
    new_version = await store.publish(parse_menu(swapped), author="test", note="1 goes to tourism")
    try:
        late = await sipp.caller("12345", caller_id=late_id, steps=hotline_steps(settings, "1"), max_hold=20).arun(60)
        assert late.answered
        await early.process.wait_async(60)
        early_call = await find_call(journal, early_id, since=0)
        late_call = await find_call(journal, late_id, since=0)
        assert (early_call["menu_version"], early_call["route"]) == (old_version, "business")
        assert (late_call["menu_version"], late_call["route"]) == (new_version, "tourism")
    finally:
        await store.rollback(old_version, author="test")
