"""Dispatch (派单): the agent holding a ticket, or a supervisor, sends it to a unit of the directory.

The ticket becomes `dispatched` (its audit trail says who, which unit, the suggestion and the note), the
time from the call's start is counted (hotline/dispatch/stats.py) and the external work-order system gets
the ticket as JSON (docs/dispatch.md), retried with backoff by the shared webhook sender.
"""
from __future__ import annotations

import logging
import time

from hotline.core.logging import log_event
from hotline.core.webhooks import WebhookSender
from hotline.dispatch import stats
from hotline.dispatch.directory import UnitsConfig, load_units
from hotline.tickets import store
from hotline.tickets.model import NOTES_MAX, Ticket
from hotline.tickets.service import TicketConflict, TicketInvalid, submission_problems

log = logging.getLogger("hotline.dispatch")
EVENT = "ticket_dispatched"


class DispatchFeature:
    """The controller's dispatch feature: the work-order webhook sender (its URLs follow units.yaml)."""

    def __init__(self, redis, units_file=None, sender: WebhookSender | None = None) -> None:
        self.redis, self.units_file = redis, units_file
        self.sender = sender or WebhookSender(load_units(units_file).webhooks, name="dispatch")

    def directory(self) -> UnitsConfig:
        config = load_units(self.units_file)
        self.sender.config = config.webhooks   # an admin's new URLs apply from the next dispatch
        return config

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.sender.drain(timeout=3.0)
        await self.sender.close()

    async def dispatch(self, ticket_id: str, unit_id: str, note: str, who: str, *, supervisor: bool) -> dict:
        config = self.directory()
        unit = config.unit(unit_id)
        if unit is None:
            raise TicketInvalid(f"unit: unknown unit {unit_id!r}; GET /api/dispatch/units lists them")
        if len(note) > NOTES_MAX:
            raise TicketInvalid(f"note: at most {NOTES_MAX} characters")
        now = time.time()

        def apply(ticket: Ticket) -> str:
            if ticket.status == "dispatched":
                raise TicketConflict(f"ticket {ticket.id} is already dispatched to {ticket.dispatched_unit_name}")
            if ticket.status == "claimed" and ticket.agent not in (None, who) and not supervisor:
                raise TicketConflict(f"ticket {ticket.id} is claimed by {ticket.agent}")
            problems = submission_problems(ticket)
            if problems:
                raise TicketInvalid("; ".join(problems))
            started = ticket.started_at or ticket.created_at
            ticket.status, ticket.agent = "dispatched", ticket.agent or who
            ticket.submitted_at = ticket.submitted_at or now
            ticket.dispatched_unit, ticket.dispatched_unit_name = unit.id, unit.name
            ticket.dispatched_by, ticket.dispatched_at, ticket.dispatch_note = who, now, note
            ticket.dispatch_seconds = round(max(0.0, now - started), 3)
            ticket.record(who, "dispatched", {"unit": unit.id, "suggested_unit": ticket.suggested_unit,
                                              "rule": ticket.suggested_rule, "note": note,
                                              "seconds": ticket.dispatch_seconds})
            return "dispatched"
        ticket = await store.mutate(self.redis, ticket_id, apply)
        await stats.record(self.redis, ticket.line, who, ticket.dispatch_seconds or 0.0, now)
        self.sender.submit(work_order(ticket, unit.model_dump(mode="json")), event=EVENT, ticket_id=ticket.id)
        log_event(log, "ticket dispatched", ticket_id=ticket.id, unit=unit.id, who=who,
                  suggested=ticket.suggested_unit, followed=ticket.suggested_unit == unit.id,
                  seconds=ticket.dispatch_seconds)
        return store.dump(ticket)


def work_order(ticket: Ticket, unit: dict) -> dict:
    """The webhook body (docs/dispatch.md): the ticket as the handling unit needs it."""
    return {
        "event": EVENT, "at": round(ticket.dispatched_at or time.time(), 3),
        "ticket": {"id": ticket.id, "call_id": ticket.call_id, "caller": ticket.caller, "line": ticket.line,
                   "line_label": ticket.line_label, "created_at": ticket.created_at, "started_at": ticket.started_at,
                   "category": ticket.category, "request_type": ticket.request_type, "urgency": ticket.urgency,
                   "summary": ticket.summary, "address": ticket.address, "location_hints": ticket.location_hints,
                   "transcript": ticket.hanzi.text, "repeat": ticket.repeat.label or ""},
        "unit": {"id": unit["id"], "name": unit["name"], "kind": unit["kind"],
                 "external_code": unit["external_code"] or unit["id"]},
        "suggested": {"unit": ticket.suggested_unit, "rule": ticket.suggested_rule,
                      "followed": ticket.suggested_unit == unit["id"]},
        "dispatched_by": ticket.dispatched_by, "note": ticket.dispatch_note,
        "dispatch_seconds": ticket.dispatch_seconds,
        "within_target": (ticket.dispatch_seconds or 0) <= stats.TARGET_SECONDS,
    }
