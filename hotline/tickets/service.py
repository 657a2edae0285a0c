"""Draft tickets: one per call, filled by the call flow and the ASR worker, edited and submitted by agents.

Every function takes a redis.asyncio client (decode_responses=True) and returns plain JSON-able dicts.
Every change publishes {ticket_id, call_id, kind} to the hotline:ticket-events stream.
"""
from __future__ import annotations

import logging
import time

from pydantic import ValidationError

from hotline.core.lines import LineCatalogue, UnknownLine
from hotline.core.logging import log_event, mask_number
from hotline.dispatch.suggestion import suggest_onto
from hotline.tickets import passes, repeat, store, summary
from hotline.tickets.classifier import classify
from hotline.tickets.model import (
    CLASSIFIED_FIELDS,
    ERROR_MAX,
    FINAL_STATUSES,
    HINT_MAX,
    HINTS_MAX,
    LABEL_MAX,
    MATCHED_MAX,
    NAME_MAX,
    RETRYABLE,
    SUMMARY_MAX,
    WORD_MAX,
    AfterHours,
    Ticket,
    TicketChanges,
    Transcript,
    clip,
)
from hotline.tickets.store import ALL_KEY, CATEGORY_KEY, TicketCorrupt, TicketNotFound, dump
from hotline.tickets.taxonomy import default_taxonomy

log = logging.getLogger("hotline.tickets")
SYSTEM = "system"
SCAN_LIMIT = 5000  # most tickets a filtered list looks through

__all__ = ["TicketNotFound", "TicketCorrupt", "TicketConflict", "TicketInvalid", "open_draft", "attach_transcript",
           "mark_transcript_failed", "record_transcript_failure", "reset_transcript", "get_ticket", "list_tickets",
           "update_ticket", "submit_ticket", "tickets_for_caller", "ticket_id_for_call"]


class TicketConflict(RuntimeError):
    """The ticket's state forbids the change (already submitted, claimed by someone else)."""


class TicketInvalid(ValueError):
    """The change or the submission is not valid; the message says which field and why."""


def _line(call: dict, lines: LineCatalogue) -> tuple[str, str]:
    """(line, label) of the call's route; ("", "") while no route is known (an ASR job seen before the call
    flow's draft); an unknown route is refused, never filed as another line."""
    route = call.get("route")
    if route in (None, ""):
        return "", ""
    try:
        return route, lines.label(route)
    except UnknownLine as exc:
        raise TicketInvalid(str(exc)) from None


def _new_ticket(call: dict, lines: LineCatalogue) -> Ticket:
    now = time.time()
    route, label = _line(call, lines)
    initial = classify(None, route=route)
    ticket = Ticket(id=store.ID_PLACEHOLDER, call_id=str(call["call_id"]), caller=clip(call.get("caller"), NAME_MAX),
                    created_at=now, updated_at=now, line=route, line_label=label,
                    menu_version=_str_or_none(call.get("menu_version")), started_at=_float_or_none(call.get("started_at")),
                    recording_path=_str_or_none(call.get("recording_path") or call.get("path")),
                    request_type=initial.request_type, category=initial.category, urgency=initial.urgency)
    if call.get("no_recording"):  # the caller skipped the description: no transcript will ever come
        ticket.transcript = Transcript(status="no_recording", error=clip(call["no_recording"], ERROR_MAX))
    if call.get("intake") in ("without_menu", "interrupted"):
        ticket.intake = call["intake"]
    if isinstance(call.get("after_hours"), dict):   # opening hours: closed line, maybe a call-back wanted
        ticket.after_hours = AfterHours(line=clip(call["after_hours"].get("line"), LABEL_MAX),
                                        callback=bool(call["after_hours"].get("callback")))
    ticket.record(SYSTEM, "created", {"line": route, "intake": ticket.intake})
    return ticket


def _str_or_none(value) -> str | None:
    return None if value in (None, "") else str(value)


def _float_or_none(value) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


async def _ensure(redis, call: dict, lines: LineCatalogue) -> tuple[str, bool, Ticket]:
    if not call.get("call_id"):
        raise TicketInvalid("call_id is required")
    new = _new_ticket(call, lines)   # validates the route even when the ticket exists already
    ticket_id, created = await store.create_once(redis, new)   # one round trip: it finds an existing one itself
    if created:
        log_event(log, "draft ticket created", ticket_id=ticket_id, call_id=call["call_id"],
                  caller=mask_number(call.get("caller")), route=call.get("route"))
    return ticket_id, created, new


async def open_draft(redis, call: dict, lines: LineCatalogue) -> dict:
    """Called when a caller is routed. Idempotent by call_id; fills call details a worker-created ticket lacks."""
    ticket_id, created, new = await _ensure(redis, call, lines)
    if created:   # what was stored, without reading it back (the call flow waits for this at a busy hour)
        return dump(new.model_copy(update={"id": ticket_id}))
    line, label = _line(call, lines)

    def fill(ticket: Ticket) -> str | None:
        missing = {k: v for k, v in (("line", line or None), ("line_label", label or None),
                                     ("menu_version", _str_or_none(call.get("menu_version"))),
                                     ("started_at", _float_or_none(call.get("started_at"))),
                                     ("recording_path", _str_or_none(call.get("recording_path"))))
                   if v is not None and getattr(ticket, k) in (None, "")}
        if not missing:
            return None
        for key, value in missing.items():
            setattr(ticket, key, value)
        ticket.record(SYSTEM, "call details", missing)
        return "updated"
    return dump(await store.mutate(redis, ticket_id, fill))


async def _repeat_links(redis, ticket: Ticket) -> repeat.Repeat:
    since = ticket.created_at - repeat.WINDOW_SECONDS
    by_caller = await store.load_many(redis, await store.caller_ids(redis, ticket.caller, since))
    by_issue = await store.load_many(redis, await store.category_ids(redis, ticket.category, since))
    return repeat.links(dump(ticket), [dump(t) for t in by_caller], [dump(t) for t in by_issue],
                        default_taxonomy().fallback_category)


def _apply_classification(ticket: Ticket) -> None:
    """Category, 诉求类型, urgency, places and the suggested summary from both passes; fields the agent
    edited are never touched, and a submitted ticket keeps what was submitted."""
    if ticket.status in FINAL_STATUSES:
        return
    text, pinyin, hits = passes.evidence(ticket)
    result = classify(text, pinyin, hits, ticket.line)
    fitted = {"location_hints": [clip(h, HINT_MAX) for h in result.location_hints[:HINTS_MAX]]}
    for field in CLASSIFIED_FIELDS:
        if field not in ticket.edited:
            setattr(ticket, field, fitted.get(field, getattr(result, field)))
    if "category" not in ticket.edited:
        ticket.category_confidence = result.category_confidence
    ticket.matched = [clip(w, WORD_MAX) for w in result.matched[:MATCHED_MAX]]
    suggested = summary.suggest(text, ticket.request_type, ticket.category, ticket.location_hints)
    ticket.suggested_summary = clip(suggested, SUMMARY_MAX) or ""
    suggest_onto(ticket)   # the 承办单位 the routing rules pick (hotline/dispatch)


async def attach_transcript(redis, call_id: str, transcript: dict, call: dict | None = None,
                            pass_name: str = "fast", *, lines: LineCatalogue) -> dict:
    """Store one pass's ASR result on the call's ticket (creating it if the worker is first), re-derive the
    classification from both passes, link repeats. `call` (job fields: caller, route, path, recorded_at)
    seeds a ticket created here."""
    field = passes.PASSES[pass_name].field
    ticket_id, _, _ = await _ensure(redis, {**(call or {}), "call_id": call_id}, lines)
    parsed = Transcript.from_engine(transcript)
    preview = await store.load(redis, ticket_id)
    setattr(preview, field, parsed)
    _apply_classification(preview)
    links = await _repeat_links(redis, preview)

    def attach(ticket: Ticket) -> str:
        setattr(ticket, field, parsed)
        _apply_classification(ticket)
        ticket.repeat = links
        ticket.record(SYSTEM, "transcribed", {"pass": pass_name, "transcript_status": parsed.status,
                                              "category": ticket.category, "request_type": ticket.request_type,
                                              "urgency": ticket.urgency})
        return "transcribed"
    ticket = await store.mutate(redis, ticket_id, attach)
    log_event(log, "ticket transcribed", ticket_id=ticket_id, call_id=call_id, asr_pass=pass_name,
              status=parsed.status, category=ticket.category, urgency=ticket.urgency,
              repeat=bool(ticket.repeat.label))
    return dump(ticket)


async def mark_transcript_failed(redis, call_id: str, status: str, error: str | None,
                                 call: dict | None = None, pass_name: str = "fast", *,
                                 lines: LineCatalogue) -> dict:
    """No usable transcript (status unavailable/no_speech/error): say so on the ticket, keep everything else."""
    if status not in ("unavailable", "no_speech", "error"):
        raise TicketInvalid(f"status must be unavailable, no_speech or error, not {status!r}")
    return await attach_transcript(redis, call_id, {"status": status, "error": error}, call, pass_name,
                                   lines=lines)


async def ticket_id_for_call(redis, call_id: str) -> str | None:
    """The one record of which ticket belongs to a call."""
    return await store.id_for_call(redis, call_id)


async def record_transcript_failure(redis, call_id: str, reason: str, call: dict | None = None,
                                    pass_name: str = "fast", *, lines: LineCatalogue) -> dict:
    """An ASR job raised: say so on the ticket (that pass's transcript failed, the reason), unless a transcript
    already landed."""
    field = passes.PASSES[pass_name].field
    ticket_id, _, _ = await _ensure(redis, {**(call or {}), "call_id": call_id}, lines)

    def note(ticket: Ticket) -> str | None:
        if getattr(ticket, field).status not in RETRYABLE:
            return None
        setattr(ticket, field, Transcript(status="failed", error=clip(reason, ERROR_MAX)))
        ticket.record(SYSTEM, "transcription failed", {"pass": pass_name, "error": reason})
        return "transcribed"
    return dump(await store.mutate(redis, ticket_id, note))


async def reset_transcript(redis, ticket_id: str, who: str) -> dict:
    """Before an ASR job is re-run (`hotline asr retry`): every pass's transcript is pending again."""
    def reset(ticket: Ticket) -> str:
        if not ticket.recording_path:
            raise TicketInvalid(f"ticket {ticket.id} has no recording to transcribe")
        for asr_pass in passes.PASSES.values():   # the job goes to every pass again
            setattr(ticket, asr_pass.field, Transcript(status="pending"))
        ticket.record(who, "transcription retried")
        return "updated"
    return dump(await store.mutate(redis, ticket_id, reset))


CALLBACK_LABELS = {"requested": "预约回拨", "connected": "回拨已接通", "failed": "回拨未接通"}


async def set_callback(redis, call_id: str, status: str, attempts: int = 0) -> dict | None:
    """The call-back state of the call's ticket (hotline/callback); None when the call has no ticket."""
    if status not in CALLBACK_LABELS:
        raise TicketInvalid(f"callback status must be one of {sorted(CALLBACK_LABELS)}, not {status!r}")
    ticket_id = await store.id_for_call(redis, call_id)
    if not ticket_id:
        return None

    def mark(ticket: Ticket) -> str:
        ticket.callback, ticket.callback_attempts = status, attempts   # type: ignore[assignment]
        ticket.record(SYSTEM, CALLBACK_LABELS[status], {"callback": status, "attempts": attempts})
        return "updated"
    return dump(await store.mutate(redis, ticket_id, mark))


async def get_ticket(redis, ticket_id: str) -> dict:
    return dump(await store.load(redis, ticket_id))


async def list_tickets(redis, status: str | None = None, line: str | None = None,
                       category: str | None = None, limit: int = 50, handler: str | None = None) -> list[dict]:
    """Newest first, filtered; looks through at most SCAN_LIMIT tickets. `handler`: only the tickets of calls
    that agent's phone held."""
    if handler is not None:
        index = store.HANDLER_KEY.format(agent=handler)
    else:
        index = CATEGORY_KEY.format(category=category) if category else ALL_KEY
    found: list[dict] = []
    for offset in range(0, SCAN_LIMIT, 200):
        batch = await store.load_many(redis, await store.newest(redis, index, offset, 200))
        found += [dump(t) for t in batch if (not status or t.status == status) and (not line or t.line == line)
                  and (not category or t.category == category)]
        if len(found) >= limit or len(batch) < 200:
            break
    return found[:limit]


def _apply_changes(ticket: Ticket, given: dict, who: str) -> str | None:
    if ticket.status in FINAL_STATUSES:
        raise TicketConflict(f"ticket {ticket.id} is already {ticket.status}")
    if ticket.status == "claimed" and ticket.agent not in (None, who) and who != SYSTEM:
        raise TicketConflict(f"ticket {ticket.id} is claimed by {ticket.agent}")
    changes = {k: v for k, v in given.items() if getattr(ticket, k) != v}
    # a field the agent sent counts as theirs even when unchanged: a late transcript must not override it
    confirmed = set(given) - {"status"} - set(ticket.edited)
    if not changes and not confirmed:
        return None
    for key, value in changes.items():
        setattr(ticket, key, value)
    if {"category", "address", "location_hints"} & set(changes):
        suggest_onto(ticket)
    if changes.get("status") == "claimed":
        ticket.agent = who
    elif changes.get("status") == "draft":
        ticket.agent = None
    ticket.edited = sorted(set(ticket.edited) | confirmed)
    ticket.record(who, "claimed" if set(changes) == {"status"} and ticket.status == "claimed" else "edited", changes)
    return "updated"


async def update_ticket(redis, ticket_id: str, changes: dict, who: str) -> dict:
    """Agent edits (summary, address, notes, reply, category, request_type, urgency, location_hints, status claimed/draft)."""
    try:
        given = TicketChanges.model_validate(changes).given()
    except ValidationError as exc:
        raise TicketInvalid("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    ticket = await store.mutate(redis, ticket_id, lambda t: _apply_changes(t, given, who))
    log_event(log, "ticket updated", ticket_id=ticket_id, who=who, fields=sorted(given))
    return dump(ticket)


def submission_problems(ticket: Ticket) -> list[str]:
    tax = default_taxonomy()
    problems = []
    if ticket.category not in tax.category_names:
        problems.append("category: choose a category")
    if ticket.request_type not in tax.request_type_names:
        problems.append("request_type: choose 咨询/求助/投诉/建议/表扬")
    if not ticket.summary.strip():
        problems.append("summary: write what the caller asked for")
    return problems


async def submit_ticket(redis, ticket_id: str, who: str) -> dict:
    def submit(ticket: Ticket) -> str:
        if ticket.status in FINAL_STATUSES:
            raise TicketConflict(f"ticket {ticket.id} is already {ticket.status}")
        if ticket.status == "claimed" and ticket.agent not in (None, who):
            raise TicketConflict(f"ticket {ticket.id} is claimed by {ticket.agent}")
        problems = submission_problems(ticket)
        if problems:
            raise TicketInvalid("; ".join(problems))
        ticket.status, ticket.agent, ticket.submitted_at = "submitted", who, time.time()
        ticket.record(who, "submitted")
        return "submitted"
    ticket = await store.mutate(redis, ticket_id, submit)
    log_event(log, "ticket submitted", ticket_id=ticket_id, who=who, category=ticket.category)
    return dump(ticket)


async def tickets_for_caller(redis, caller: str, exclude_id: str | None = None, limit: int = 20) -> list[dict]:
    """The caller's earlier tickets, newest first (for the agent's screen-pop history)."""
    ids = [i for i in await store.caller_ids(redis, caller) if i != exclude_id][:limit]
    return [dump(t) for t in await store.load_many(redis, ids)]

