"""Where a controller call's answer time goes, per call: SIPp's log (its clock) against the call's journal
(Asterisk's stamps). `in`: SIPp sent the INVITE → the dialplan stamped HOTLINE_ARRIVED_AT (Asterisk's SIP
side); `flow`: arrival → the answer's Newstate(Up) stamp (the ring and the controller path); `out`: that stamp
→ SIPp read the 200 OK (the 200 on its way and SIPp's own turn on the CPU). Only `flow` is the controller's."""
from __future__ import annotations

import statistics
from datetime import datetime
from pathlib import Path

from telephony.sipp import LoadCall

SEPARATOR = "-" * 47 + " "
ANCHOR_CALLS = 200   # INVITEs read from the message log to tie SIPp's clock to the wall clock


def sipp_clock_offset(messages_log: Path, calls: list[LoadCall]) -> float | None:
    """Wall time of SIPp's tick 0: the median of (INVITE sent, from the message log) − its tick."""
    ticks = {c.sip_call_id: c.invite_tick for c in calls}
    offsets, stamp, sending = [], None, False
    with messages_log.open(errors="replace") as log:
        for line in log:
            if line.startswith(SEPARATOR):
                stamp, sending = line[len(SEPARATOR):].strip(), False
            elif line.startswith("UDP message sent"):
                sending = True
            elif sending and line.startswith("Call-ID:") and stamp:
                call_id = line.split(":", 1)[1].strip()
                if call_id in ticks:
                    wall = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
                    offsets.append(wall - ticks.pop(call_id) / 1000)
                    if len(offsets) >= ANCHOR_CALLS:
                        break
                sending = False
    return statistics.median(offsets) if offsets else None


def answer_legs(calls: list[LoadCall], messages_log: Path, journals: dict[str, list[dict]]) -> dict[str, list[float]]:
    """`journals`: caller → journal entries (answer_latency.journals_by_caller)."""
    legs: dict[str, list[float]] = {"in": [], "flow": [], "out": []}
    offset = sipp_clock_offset(messages_log, calls) if messages_log.exists() else None
    if offset is None:
        return legs
    for call in calls:
        seen = {e["event"]: e["t"] for e in reversed(journals.get(call.caller_id, []))}   # the first of each
        arrived, answered = seen.get("arrived"), seen.get("answer")
        if call.answer_latency is None or arrived is None or answered is None:
            continue
        sent = offset + call.invite_tick / 1000
        legs["in"].append(arrived - sent)
        legs["flow"].append(answered - arrived)
        legs["out"].append(sent + call.answer_latency - answered)
    return legs
