"""Who an AMI queue event is for, which call it is, and what the agent is shown about it.

Pure helpers plus Redis reads; the ticket itself comes from hotline.tickets (helper-owned) when present.
"""
from __future__ import annotations

import json
import logging
import re
from functools import lru_cache

import yaml

from hotline.agents.users import Directory, User
from hotline.core.config import CONFIG_DIR
from hotline.core.logging import log_event

log = logging.getLogger("hotline.agents.calls")
CALL_KEY = "hotline:call:{call_id}"
TICKET_KEY = "hotline:ticket:{ticket_id}"
TICKET_BY_CALL_KEY = "hotline:ticket-by-call:{call_id}"
CALL_AGENT_KEY = "hotline:call-agent:{call_id}"  # which agent holds (held) a call: routes ticket updates
CALL_AGENT_TTL = 24 * 3600
_TECH_PREFIX = re.compile(r"^(?:PJSIP|SIP|Local)/")
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(?:;\d)?$")
_ROUTE_LABELS = {"business": "企业服务", "tourism": "文旅服务专线", "general": "综合服务"}


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


@lru_cache(maxsize=1)
def queue_routes() -> dict[str, dict]:
    """route -> {"asterisk_queue": "hotline-<route>", "label": ...} from config/queues.yaml."""
    routes = {name: {"asterisk_queue": f"hotline-{name}", "label": label} for name, label in _ROUTE_LABELS.items()}
    try:
        from telephony.pbx.config import load_queues
        for q in load_queues(CONFIG_DIR / "queues.yaml"):
            routes[q["name"]] = {"asterisk_queue": q["asterisk_queue"], "label": q.get("label", q["name"])}
    except Exception as exc:  # keep the defaults; the console still works
        log_event(log, "queues.yaml unreadable, using default queue names", level=logging.WARNING, error=str(exc)[:160])
    return routes


def asterisk_queue(route: str) -> str:
    return queue_routes().get(route, {}).get("asterisk_queue", route)


def route_of_queue(queue: str | None) -> str | None:
    """AMI `Queue:` (hotline-business) -> route (business)."""
    return next((r for r, q in queue_routes().items() if q["asterisk_queue"] == queue), queue)


def route_labels() -> dict[str, str]:
    return {route: q["label"] for route, q in queue_routes().items()}


def call_summary(call_id: str | None, stored: dict, msg=None) -> dict:
    """What the banner shows. The agent sees the full caller number (masking is for logs only)."""
    route = (stored.get("route") or (msg.chanvars.get("HOTLINE_ROUTE") if msg else None)
             or (route_of_queue(msg.get("Queue")) if msg else None))
    summary = {**stored, "call_id": call_id, "route": route, "line": route_labels().get(route or "", route)}
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
    return await redis.hgetall(CALL_KEY.format(call_id=call_id)) if call_id else {}


async def ticket_id_for_call(redis, call_id: str | None, stored: dict, msg=None) -> str | None:
    if stored.get("ticket_id"):
        return stored["ticket_id"]
    if call_id:
        found = await redis.get(TICKET_BY_CALL_KEY.format(call_id=call_id))
        if found:
            return found
    return msg.chanvars.get("HOTLINE_TICKET_ID") if msg is not None else None


def _plain(ticket) -> dict | None:
    if ticket is None:
        return None
    if hasattr(ticket, "model_dump"):
        return ticket.model_dump(mode="json")
    return dict(ticket)


async def load_ticket(redis, ticket_id: str | None) -> dict | None:
    if not ticket_id:
        return None
    try:
        from hotline.tickets.service import get_ticket
        from hotline.tickets.views import agent_view
    except ImportError:
        raw = await redis.get(TICKET_KEY.format(ticket_id=ticket_id))
        return json.loads(raw) if raw else None
    try:  # without the audit trail: every pop and update stays small
        return agent_view(_plain(await get_ticket(redis, ticket_id)))
    except Exception as exc:  # missing or unreadable ticket: pop the call anyway, the form says so
        log_event(log, "ticket unavailable for pop", level=logging.WARNING, ticket_id=ticket_id, error=str(exc)[:160])
        return None


async def previous_tickets(redis, caller: str | None, exclude_id: str | None) -> list[dict]:
    if not caller:
        return []
    try:
        from hotline.tickets.service import tickets_for_caller
        from hotline.tickets.views import history_view
    except ImportError:
        return []
    try:
        found = await tickets_for_caller(redis, caller, exclude_id=exclude_id)
    except Exception as exc:  # history is a nice-to-have: never lose the pop over it
        log_event(log, "previous tickets lookup failed", level=logging.WARNING, error=str(exc)[:160])
        return []
    return [history_view(_plain(t)) for t in found][:20]
