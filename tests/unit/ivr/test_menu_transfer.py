"""Menu action `transfer` (水电气热) against the fake AMI: the controller's half of the transfer (the dialplan
rings the partner: tests/integration/partners/) and the caller's way back (AGI `transfer-returned`)."""
from __future__ import annotations

import asyncio

from hotline.core.lines import parse_lines

from helpers import eventually, shipped_lines
from ivr_fake_pbx import ScriptedCaller, event_names, played


async def test_key_8_1_hands_the_call_to_the_water_company(flow_rig):
    flow_rig.flow.transfers.lines = shipped_lines()
    channel, call_id = await flow_rig.call(ScriptedCaller(["8", "1"]))
    call = await flow_rig.journal_with(call_id, "transfer_started")
    started = next(e for e in call["events"] if e["event"] == "transfer_started")
    assert (started["partner"], started["mode"], started["ring_timeout_seconds"]) == ("water", "menu", 20)
    assert channel.variables["HOTLINE_TRANSFER"] == "water" and "HOTLINE_QUEUE" not in channel.variables
    assert channel.variables["HOTLINE_TICKET_ID"] == call["ticket_id"] == "T1"   # ticketed before it rings
    assert flow_rig.tickets.drafts[0]["route"] == "general"
    assert played(channel) == ["welcome", "partner-menu", "transfer-partner"]
    assert channel.commands[-1] == "ASYNCAGI BREAK"
    assert (call["transfer_partner"], call["transfer_queue"], str(call["transfer_record"])) == ("water", "general", "1")


async def test_a_closed_partner_keeps_the_caller_on_the_hotline(flow_rig):
    closed = {"name": "water", "label": "供水", "endpoint": "partner-water", "hours": [{"days": [], "start": "08:00"}]}
    flow_rig.flow.transfers.lines = parse_lines({"queues": [{"name": "general", "label": "综合服务"}],
                                                 "partners": [closed]})
    channel, call_id = await flow_rig.call(ScriptedCaller(["8", "1"], record="skip"))
    call = await flow_rig.journal_with(call_id, "route")
    assert ["transfer_skipped", "recording_skipped", "route"] == \
        [e for e in event_names(call) if e in ("transfer_skipped", "recording_skipped", "route", "transfer_started")]
    assert channel.variables["HOTLINE_QUEUE"] == "general" and "HOTLINE_TRANSFER" not in channel.variables


async def test_back_from_an_unanswered_partner_with_a_description(flow_rig):
    flow_rig.flow.transfers.lines = shipped_lines()
    _, call_id = await flow_rig.call(ScriptedCaller(["8", "2"]))
    name = "PJSIP/caller-back"
    channel = flow_rig.pbx.start(name, ScriptedCaller().answer, agi_callerid="13812345678", agi_arg_1="",
                                 agi_arg_2="transfer-returned", agi_arg_3=call_id, agi_arg_4="power",
                                 agi_arg_5="NOANSWER")
    flow = await eventually(lambda: flow_rig.flows.get(name), 5, "the flow to take the returning call")
    await asyncio.wait_for(flow, 10)
    call = await flow_rig.journal_with(call_id, "route")
    returned = next(e for e in call["events"] if e["event"] == "transfer_returned")
    assert (returned["partner"], returned["status"], returned["queue"]) == ("power", "NOANSWER", "general")
    assert played(channel) == ["transfer-returned", "record-description"]
    assert channel.variables["HOTLINE_QUEUE"] == "general"
    drafts = flow_rig.tickets.drafts
    assert len(drafts) == 2 and drafts[1]["recording_path"].endswith(f"{call_id}.wav")   # onto the same call
    assert event_names(call).count("arrived") == 1      # the same call, not a new one
