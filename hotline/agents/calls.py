"""Who an AMI queue event is for, which call it is, and what the agent is shown about it.

Pure helpers plus reads through the owners: the call from the journal (ivr), the ticket from hotline.tickets.
"""
from __future__ import annotations

import logging
import re

from hotline import tickets
from hotline.auth.users import Directory, User
from hotline.core import keys
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event
from ivr.journal import Journal

log = logging.getLogger("hotline.agents.calls")
CALL_AGENT_KEY = keys.CALL_AGENT.pattern  # the one record of which agent holds (held) a call
CALL_AGENT_TTL = 24 * 3600
_TECH_PREFIX = re.compile(r"^(?:PJSIP|SIP|Local)/")
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(?:;\d)?$")


def endpoint_from(value: str | None) -> str | None:
    """'PJSIP/agent1' / 'PJSIP/agent1-0000002a' / 'agent1' -> 'agent1'."""
    if not value:
        return None
    name = _CHANNEL_SUFFIX.sub("", _TECH_PREFIX.sub("", value.strip()))
    name = name.split("@", 1)[0]
    return name or None


def agent_for_event(msg, directory: Directory) -> User | None:
    """The console user whose phone the event is about: Interface first, then MemberName, then DestChannel.

    Only an exact endpoint match counts, so an event can never be routed to another agent's browser.
    """
    for header in ("Interface", "MemberName", "DestChannel"):
        endpoint = endpoint_from(msg.get(header))
        if endpoint:
            return directory.by_endpoint(endpoint)
    return None


def call_id_from_event(msg) -> str | None:
    """The caller channel's HOTLINE_CALL_ID (manager.conf channelvars; `ChanVariable` is the caller side)."""
    return msg.chanvars.get("HOTLINE_CALL_ID") or None


async def call_id_via_getvar(ami, channel: str | None) -> str | None:
    """Fallback when channelvars did not carry it (older config): ask Asterisk."""
    if not channel:
        return None
    try:
        reply = await ami.send_action("Getvar", Channel=channel, Variable="HOTLINE_CALL_ID")
    except Exception as exc:  # hung-up channel, AMI down: the pop then shows what the event had
        log_event(log, "Getvar HOTLINE_CALL_ID failed", level=logging.WARNING, error=str(exc)[:160])
        return None
    return reply.get("Value") or None


def route_of_queue(lines: LineCatalogue, queue: str | None) -> str | None:
    """AMI `Queue:` (hotline-business) -> route (business); a queue that is no line stays as it is."""
    line = lines.by_asterisk_queue(queue)
    return line.name if line else queue


def line_label(lines: LineCatalogue, route: str | None) -> str | None:
    return lines.label(route) if route in lines else route


def call_summary(lines: LineCatalogue, call_id: str | None, stored: dict, msg=None) -> dict:
    """What the banner shows. The agent sees the full caller number (masking is for logs only)."""
    route = (stored.get("route") or (msg.chanvars.get("HOTLINE_ROUTE") if msg else None)
             or (route_of_queue(lines, msg.get("Queue")) if msg else None))
    summary = {**stored, "call_id": call_id, "route": route, "line": line_label(lines, route)}
    summary.setdefault("caller", msg.get("CallerIDNum") if msg else None)
    if msg is not None:
        summary["queue"] = msg.get("Queue")
        summary["channel"] = msg.get("Channel")
        for header, key in (("HoldTime", "hold_seconds"), ("RingTime", "ring_seconds"), ("TalkTime", "talk_seconds")):
            if msg.get(header, "").isdigit():
                summary[key] = int(msg.get(header))
    for key in ("started_at", "answered_at", "ended_at"):
        if summary.get(key) not in (None, ""):
            try:
                summary[key] = float(summary[key])
            except (TypeError, ValueError):
                pass
    return summary


async def read_call(redis, call_id: str | None) -> dict:
    return (await Journal(redis).summary(call_id) or {}) if call_id else {}


async def ticket_id_for_call(redis, call_id: str | None) -> str | None:
    return await tickets.ticket_id_for_call(redis, call_id) if call_id else None


async def holder_of(redis, call_id: str) -> str | None:
    """The agent holding (or who last held) the call."""
    return await redis.get(CALL_AGENT_KEY.format(call_id=call_id))


async def hold(redis, call_id: str, agent: str) -> None:
    await redis.set(CALL_AGENT_KEY.format(call_id=call_id), agent, ex=CALL_AGENT_TTL)


async def add_handler(redis, call_id: str, agent: str) -> None:
    """Tell tickets this agent's phone held the call (it may then read and work on the ticket)."""
    try:
        await tickets.add_handler(redis, call_id, agent)
    except Exception as exc:  # never lose the pop over it; a supervisor can still reach the ticket
        log_event(log, "could not record the ticket's handler", level=logging.WARNING, error=str(exc)[:160])


async def load_ticket(redis, ticket_id: str | None) -> dict | None:
    if not ticket_id:
        return None
    try:
        return tickets.agent_view(await tickets.get_ticket(redis, ticket_id))   # no audit trail: pops stay small
    except Exception as exc:  # missing or unreadable ticket: pop the call anyway, the form says so
        log_event(log, "ticket unavailable for pop", level=logging.WARNING, ticket_id=ticket_id, error=str(exc)[:160])
        return None


async def previous_tickets(redis, caller: str | None, exclude_id: str | None) -> list[dict]:
    if not caller:
        return []
    try:
        found = await tickets.tickets_for_caller(redis, caller, exclude_id=exclude_id)
    except Exception as exc:  # history is a nice-to-have: never lose the pop over it
        log_event(log, "previous tickets lookup failed", level=logging.WARNING, error=str(exc)[:160])
        return []
    return [tickets.history_view(t) for t in found][:20]
