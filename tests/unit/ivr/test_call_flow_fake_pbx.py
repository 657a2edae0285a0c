"""CallFlow against the fake AMI server: menus, retries, recording, overflow, hang-ups, release to general.
The same behaviour through real Asterisk and SIPp: tests/integration/ivr/test_call_flow.py."""
from __future__ import annotations

import pytest

from ivr.intake import RECORDINGS_STREAM
from ivr.menus.store import parse_menu

from ivr_fake_pbx import RECORD_PROMPT_KEYS, ScriptedCaller, event_names, played

SUB_MENU = {
    "start": "main",
    "menus": {
        "main": {"prompt": "welcome", "keys": {"1": {"action": "queue", "queue": "business", "record": True},
                                               "2": {"action": "menu", "menu": "consult"}},
                 "on_timeout": {"action": "queue", "queue": "general"},
                 "on_invalid": {"action": "queue", "queue": "general"}},
        "consult": {"prompt": "consult", "keys": {"1": {"action": "queue", "queue": "tourism"},
                                                  "3": {"action": "play", "prompt": "opening-hours"}},
                    "on_timeout": {"action": "queue", "queue": "general"},
                    "on_invalid": {"action": "queue", "queue": "general"}},
    },
}


def keys_noted(call: dict) -> list[tuple]:
    return [(e["event"], e.get("key"), e.get("menu")) for e in call["events"]
            if e["event"] in ("key", "timeout", "invalid_key", "repeat")]


@pytest.mark.parametrize("key,queue", [("1", "business"), ("9", "tourism"), ("0", "general")])
async def test_key_routes_to_its_queue_with_a_description(flow_rig, key, queue):
    channel, call_id = await flow_rig.call(ScriptedCaller([key]), number="13812345678")
    call = await flow_rig.journal_with(call_id, "answer", "route")

    assert call["route"] == queue and call["caller"] == "13812345678"
    assert event_names(call) == ["arrived", "picked_up", "answer", "key", "recording_started", "recording",
                                 "asr_job_published", "route"]
    assert channel.variables["HOTLINE_QUEUE"] == queue   # [hotline-queue] then sets HOTLINE_ROUTE
    assert channel.variables["HOTLINE_TICKET_ID"] == call["ticket_id"] == "T1"
    assert channel.variables["TIMEOUT(absolute)"] == str(flow_rig.settings.call_flow_lease_seconds)
    assert channel.commands[2] == "ANSWER" and channel.commands[-1] == "ASYNCAGI BREAK"
    assert played(channel) == ["welcome", "record-description"]
    recording = next(e for e in call["events"] if e["event"] == "recording")
    assert recording["ended_by"] == "dtmf" and recording["seconds"] == 5.0
    assert recording["path"] == str(flow_rig.settings.host_path(f"/srv/hotline/unit/recordings/{call_id}.wav"))
    [draft] = flow_rig.tickets.drafts
    assert (draft["call_id"], draft["route"], draft["recording_path"]) == (call_id, queue, recording["path"])
    [(_, job)] = await flow_rig.redis.xrange(RECORDINGS_STREAM)
    assert (job["call_id"], job["route"], job["path"]) == (call_id, queue, recording["path"])
    assert flow_rig.overflow.asked == [queue]


async def test_answer_comes_from_newstate_up_with_its_latency(flow_rig):
    _, call_id = await flow_rig.call(ScriptedCaller(["1"]))
    call = await flow_rig.journal_with(call_id, "answer")
    answer = next(e for e in call["events"] if e["event"] == "answer")
    assert answer["t"] == pytest.approx(call["answered_at"], abs=0.001)
    assert call["invite_to_answer_seconds"] == answer["invite_to_answer_seconds"] == pytest.approx(call["answered_at"] - call["started_at"],
                                                                         abs=0.001)
    assert 0 <= call["invite_to_answer_seconds"] < 5  # ring_seconds=0: the flow answers at once


async def test_no_key_times_out_to_general(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller([None]))
    call = await flow_rig.journal_with(call_id, "route")
    assert call["route"] == "general"
    assert keys_noted(call) == [("timeout", None, "main")]
    menu = next(c for c in channel.commands if c.startswith("GET OPTION"))   # prompt and wait in one command
    assert menu.endswith(" 5000")  # config/menus.yaml: timeout_seconds 5


async def test_invalid_key_twice_goes_to_general_after_the_retry_prompt(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller(["5", "7"]))
    call = await flow_rig.journal_with(call_id, "route")
    assert call["route"] == "general"
    assert keys_noted(call) == [("invalid_key", "5", "main"), ("invalid_key", "7", "main")]
    assert [e["attempt"] for e in call["events"] if e["event"] == "invalid_key"] == [1, 2]
    assert played(channel) == ["welcome", "input-error", "welcome", "record-description"]


async def test_invalid_key_then_a_valid_one_routes_by_it(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller(["5", "9"]))
    call = await flow_rig.journal_with(call_id, "route")
    assert call["route"] == "tourism"
    assert played(channel)[:3] == ["welcome", "input-error", "welcome"]


async def test_star_repeats_the_menu(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller(["*", "9"]))
    call = await flow_rig.journal_with(call_id, "route")
    assert call["route"] == "tourism"
    assert keys_noted(call) == [("key", "*", "main"), ("repeat", None, "main"), ("key", "9", "main")]
    assert played(channel)[:2] == ["welcome", "welcome"]


async def test_sub_menu_play_and_queue_without_description(flow_rig):
    version = await flow_rig.menus.publish(parse_menu(SUB_MENU), author="test")
    channel, call_id = await flow_rig.call(ScriptedCaller(["2", "3", "1"]))
    call = await flow_rig.journal_with(call_id, "route")
    assert call["route"] == "tourism"
    assert keys_noted(call) == [("key", "2", "main"), ("key", "3", "consult"), ("key", "1", "consult")]
    assert played(channel) == ["welcome", "consult", "opening-hours", "consult"]
    assert not any(c.startswith("RECORD FILE") for c in channel.commands)
    assert "recording_started" not in event_names(call)
    assert flow_rig.tickets.drafts[0]["recording_path"] is None
    assert await flow_rig.redis.xlen(RECORDINGS_STREAM) == 0
    assert call["menu_version"] == version


async def test_skipping_the_description_still_opens_a_ticket(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller(["1"], record="skip"))
    call = await flow_rig.journal_with(call_id, "route")
    assert "recording_skipped" in event_names(call) and "recording_started" not in event_names(call)
    assert not any(c.startswith("RECORD FILE") for c in channel.commands)
    assert call["ticket_id"] == "T1" and flow_rig.tickets.drafts[0]["recording_path"] is None
    assert await flow_rig.redis.xlen(RECORDINGS_STREAM) == 0
    assert channel.variables["HOTLINE_QUEUE"] == "business"


async def test_overflow_routes_a_new_caller_elsewhere(flow_rig):
    flow_rig.overflow.routes["tourism"] = "general"
    channel, call_id = await flow_rig.call(ScriptedCaller(["9"]))
    call = await flow_rig.journal_with(call_id, "route")
    overflow = next(e for e in call["events"] if e["event"] == "overflow")
    assert (overflow["from_queue"], overflow["to_queue"]) == ("tourism", "general")
    assert call["route"] == "general" and channel.variables["HOTLINE_QUEUE"] == "general"
    assert flow_rig.tickets.drafts[0]["route"] == "general"


async def test_hang_up_during_the_menu(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller(["1"], hang_up_at="welcome"))
    call = await flow_rig.journal_with(call_id, "caller_hangup", "hangup")
    hangup = next(e for e in call["events"] if e["event"] == "caller_hangup")
    assert hangup["stage"] == "menu" and call["hangup_stage"] == "menu"
    assert "route" not in call and "ticket_id" not in call and not flow_rig.tickets.drafts
    assert "ASYNCAGI BREAK" not in channel.commands
    assert "ended_at" in call  # the Hangup event


async def test_hang_up_during_the_recording_keeps_what_was_said(flow_rig):
    channel, call_id = await flow_rig.call(ScriptedCaller(["9"], record="hangup"))
    call = await flow_rig.journal_with(call_id, "caller_hangup", "hangup")
    recording = next(e for e in call["events"] if e["event"] == "recording")
    assert recording["ended_by"] == "hangup"
    assert call["hangup_stage"] == "recording" and call["route"] == "tourism"
    assert call["ticket_id"] == "T1" and flow_rig.tickets.drafts[0]["recording_path"] == recording["path"]
    [(_, job)] = await flow_rig.redis.xrange(RECORDINGS_STREAM)
    assert job["call_id"] == call_id
    assert "ASYNCAGI BREAK" not in channel.commands and "HOTLINE_QUEUE" not in channel.variables


async def test_a_failing_step_releases_the_caller_to_general(flow_rig):
    flow_rig.tickets.fail = True
    channel, call_id = await flow_rig.call(ScriptedCaller(["1"], record="skip"))
    call = await flow_rig.journal_with(call_id, "released")
    assert channel.variables["HOTLINE_QUEUE"] == "general"
    assert channel.commands[-1] == "ASYNCAGI BREAK" and not channel.in_agi
    assert "route" not in event_names(call)


async def test_unknown_caller_id_is_no_number(flow_rig):
    _, call_id = await flow_rig.call(ScriptedCaller(["0"], record="skip"), number="anonymous")
    call = await flow_rig.journal_with(call_id, "route")
    assert call.get("caller", "") == "" and flow_rig.tickets.drafts[0]["caller"] == ""


async def test_each_call_gets_its_own_journal(flow_rig):
    first = await flow_rig.call(ScriptedCaller(["1"], record="skip"), number="13800000001")
    second = await flow_rig.call(ScriptedCaller(["9"], record="skip"), number="13800000002")
    calls = [await flow_rig.journal_with(call_id, "route") for _, call_id in (first, second)]
    assert [(c["caller"], c["route"]) for c in calls] == [("13800000001", "business"), ("13800000002", "tourism")]
    assert first[1] != second[1]


async def test_a_closed_line_plays_its_prompt_and_goes_to_the_fallback_line(flow_rig):
    flow_rig.closed["tourism"] = {"prompt": "after-hours", "queue": "general", "reason": "outside hours"}
    channel, call_id = await flow_rig.call(ScriptedCaller(["9"]))
    call = await flow_rig.journal_with(call_id, "route")
    closed = next(e for e in call["events"] if e["event"] == "after_hours")
    assert (closed["queue"], closed["to_queue"], closed["callback"]) == ("tourism", "general", False)
    assert call["route"] == channel.variables["HOTLINE_QUEUE"] == "general"
    assert played(channel) == ["welcome", "after-hours", "record-description"]
    assert flow_rig.overflow.asked == []          # the fallback line is where the caller goes, no overflow
    [draft] = flow_rig.tickets.drafts
    assert draft["after_hours"] == {"line": "tourism", "callback": False} and draft["route"] == "general"


async def test_a_closed_line_with_callback_records_tickets_and_hangs_up(flow_rig):
    flow_rig.closed["business"] = {"prompt": "after-hours-callback", "callback": True, "reason": "holiday 春节"}
    channel, call_id = await flow_rig.call(ScriptedCaller(["1"]))
    # "answer" too: noted up to 2 s later when the fake's answer comes before the journal is opened
    call = await flow_rig.journal_with(call_id, "callback_requested", "answer")
    assert event_names(call)[3:] == ["key", "after_hours", "recording_started", "recording", "asr_job_published",
                                     "callback_requested"]
    assert "HOTLINE_QUEUE" not in channel.variables and channel.commands[-1] == "HANGUP"
    assert played(channel) == ["welcome", "after-hours-callback", "record-description", "goodbye"]
    [draft] = flow_rig.tickets.drafts
    assert draft["after_hours"] == {"line": "business", "callback": True} and draft["route"] == "business"


class QuickCaller(ScriptedCaller):
    """Presses the menu key, then `then` at once: after the menu command returned and before the description
    prompt started, so Asterisk drops it (no command reads keys) but still sends its DTMFEnd event, which
    arrives before the prompt's result (the prompt played through: nothing interrupted it)."""

    def __init__(self, rig, keys, then: str, **kwargs) -> None:
        super().__init__(keys, **kwargs)
        self.rig, self.then = rig, then

    def _pressed(self, digits: str) -> None:
        name = next(c for c, fake in self.rig.pbx.channels.items() if fake.in_agi)
        for digit in digits:
            self.rig.pbx.event(name, "DTMFEnd", Digit=digit, Direction="Received", DurationMs="120")

    def answer(self, command: str) -> str | None:
        if command.startswith("GET OPTION") and self.keys:
            self._pressed(self.keys[0])                       # read by the menu command
        if command.startswith("STREAM FILE") and command.endswith(RECORD_PROMPT_KEYS):
            self._pressed(self.then)
            return "200 result=0 endpos=24000"
        return super().answer(command)


async def test_a_hash_pressed_before_the_description_prompt_still_skips_the_description(flow_rig):
    channel, call_id = await flow_rig.call(QuickCaller(flow_rig, ["9"], "#"))
    call = await flow_rig.journal_with(call_id, "route")
    assert call["route"] == "tourism" and "recording_skipped" in event_names(call)
    assert not any(c.startswith("RECORD FILE") for c in channel.commands)


async def test_only_the_menu_key_pressed_records_the_description(flow_rig):
    channel, call_id = await flow_rig.call(QuickCaller(flow_rig, ["9"], ""))
    call = await flow_rig.journal_with(call_id, "route")
    assert "recording_skipped" not in event_names(call)
    assert any(c.startswith("RECORD FILE") for c in channel.commands)


class WatchdogCall(ScriptedCaller):
    """The pickup watchdog fires before the flow's first command runs: the channel leaves AsyncAGI for the
    dialplan's fallback (AsyncAGIEnd) and stays up (no Hangup event)."""

    def __init__(self, rig) -> None:
        super().__init__(["9"])
        self.rig = rig

    def answer(self, command: str) -> str | None:
        if command.startswith("SET VARIABLE TIMEOUT"):
            name = next(c for c, fake in self.rig.pbx.channels.items() if fake.in_agi)
            self.rig.pbx.channels[name].in_agi = False
            self.rig.pbx.event(name, "AsyncAGIEnd")
        return super().answer(command)


async def test_a_call_the_watchdog_took_is_not_journaled_as_a_caller_hang_up(flow_rig, monkeypatch):
    monkeypatch.setattr("ivr.flow.HANGUP_EVENT_GRACE_SECONDS", 0.3)
    channel, call_id = await flow_rig.call(WatchdogCall(flow_rig))
    call = await flow_rig.journal_with(call_id, "left_to_dialplan")
    assert "caller_hangup" not in event_names(call) and "hangup_stage" not in call
