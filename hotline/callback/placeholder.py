"""The placeholder that keeps a caller's place: a Local channel originated into the line's queue (AMI).

`Local/cb-<call id>-<attempt>@hotline-callback-hold`: its ;2 half waits in the queue at the caller's position,
unanswered; when an agent takes it the Originate completes and the ;1 half runs [hotline-callback-dial]
(the agent hears it is a call-back, the caller's phone rings). All of it lives in Asterisk, so a controller
restart does not touch a waiting placeholder. See config/asterisk/extensions.conf.j2 and docs/decisions.md.
"""
from __future__ import annotations

import logging

from hotline.core.logging import log_event
from telephony.ami.errors import AmiError

log = logging.getLogger("hotline.callback.placeholder")
HOLD_CONTEXT, DIAL_CONTEXT, NOTES = "hotline-callback-hold", "hotline-callback-dial", "hotline_callback"
ORIGINATE_TIMEOUT_MS = 24 * 3600 * 1000   # how long the placeholder may wait for an agent (a day)


def exten(call_id: str, attempt: int) -> str:
    return f"cb-{call_id}-{attempt}"


def channel_name(call_id: str, attempt: int) -> str:
    return f"Local/{exten(call_id, attempt)}@{HOLD_CONTEXT}"


def originate_fields(record: dict, attempt: int, position: int, dial: str, ring_seconds: int) -> dict:
    """The Originate action. `__` variables are inherited by the ;2 half (the one in the queue): the call's id
    and route make its queue events, journal and screen-pop those of the original call."""
    number = record["number"]
    inherited = {"HOTLINE_CALL_ID": record["call_id"], "HOTLINE_ROUTE": record["line"],
                 "HOTLINE_TICKET_ID": record.get("ticket_id") or "", "HOTLINE_CALLBACK_POSITION": position,
                 "HOTLINE_CALLBACK_ATTEMPT": attempt}
    variables = [f"__{k}={v}" for k, v in inherited.items()]
    variables += [f"HOTLINE_CALLBACK_DIAL={dial}", f"HOTLINE_CALLBACK_RING={ring_seconds}"]
    return {"Channel": channel_name(record["call_id"], attempt), "Context": DIAL_CONTEXT, "Exten": "s",
            "Priority": "1", "Timeout": str(ORIGINATE_TIMEOUT_MS), "CallerID": f"{number} <{number}>",
            "Async": "true", "Variable": variables}


async def originate(ami, record: dict, attempt: int, position: int, dial: str, ring_seconds: int) -> None:
    await ami.send_action("Originate", **originate_fields(record, attempt, position, dial, ring_seconds))


async def live_channels(ami) -> list[str]:
    return [e.get("Channel") or "" for e in await ami.send_action_list("CoreShowChannels")]


def is_alive(channels: list[str], call_id: str, attempt: int) -> bool:
    prefix = channel_name(call_id, attempt) + "-"
    return any(name.startswith(prefix) for name in channels)


async def outcome_note(ami, call_id: str) -> tuple[str, int] | None:
    """(DIALSTATUS, attempt) the dialplan noted in AstDB after the last dial; None without a note."""
    try:
        events = await ami.send_action_list("DBGet", Family=NOTES, Key=call_id)
    except AmiError:   # "Database entry not found"
        return None
    value = next((e.get("Val") for e in events if e.get("Val")), None)
    parts = (value or "").split("|")
    if len(parts) < 3 or not parts[2].isdigit():
        if value:
            log_event(log, "unreadable call-back note", logging.WARNING, call_id=call_id)
        return None
    return parts[0], int(parts[2])
