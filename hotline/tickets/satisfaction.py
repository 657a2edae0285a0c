"""The ticket's satisfaction block: the caller's survey key, the handling result, the 回访 outcome, and the
supervisors' review list of tickets rated 不满意 (3). Written for hotline/survey, which owns the schedule."""
from __future__ import annotations

import time

from pydantic import ValidationError

from hotline.core import keys
from hotline.tickets import store
from hotline.tickets.model import FINAL_STATUSES, FollowupState, HandlingResult, Ticket, clip
from hotline.tickets.service import SYSTEM, TicketConflict, TicketInvalid
from hotline.tickets.store import dump

REVIEW_KEY = keys.TICKETS_REVIEW.pattern
UNSATISFIED = "3"


async def _flag_unsatisfied(redis, ticket: Ticket, answer: str | None) -> None:
    if answer == UNSATISFIED:
        await redis.zadd(REVIEW_KEY, {ticket.id: time.time()})


async def record_survey(redis, ticket_id: str, answer: str) -> dict:
    """The caller's key at the end of the call (1/2/3/none); the first answer stays (one survey per call)."""
    def note(ticket: Ticket) -> str | None:
        if ticket.survey is not None:
            return None
        ticket.survey, ticket.survey_at = answer, time.time()   # strict model: an unknown answer raises
        ticket.record(SYSTEM, "survey", {"survey": answer})
        return "updated"
    ticket = await _mutate(redis, ticket_id, note)
    await _flag_unsatisfied(redis, ticket, answer)
    return dump(ticket)


async def record_result(redis, ticket_id: str, text: str, handled_by: str, reported_by: str) -> dict:
    """The handling department's result on a submitted ticket; the 回访 is scheduled by the caller of this."""
    def note(ticket: Ticket) -> str:
        if ticket.status not in FINAL_STATUSES:   # submitted, or already dispatched to the handling unit
            raise TicketConflict(f"ticket {ticket.id} is {ticket.status}: a result needs a submitted ticket")
        ticket.result = HandlingResult(text=text, handled_by=handled_by, reported_by=clip(reported_by, 64),
                                       at=time.time())
        ticket.record(clip(reported_by, 64), "result", {"handled_by": handled_by, "text": text})
        return "updated"
    return dump(await _mutate(redis, ticket_id, note))


async def record_followup(redis, ticket_id: str, **state) -> dict:
    """The 回访 as the ticket shows it: status, tries, answer (flags the ticket for review on a 3)."""
    def note(ticket: Ticket) -> str:
        ticket.followup = FollowupState(**{**(ticket.followup.model_dump() if ticket.followup else {}), **state})
        ticket.record(SYSTEM, "followup", state)
        return "updated"
    ticket = await _mutate(redis, ticket_id, note)
    await _flag_unsatisfied(redis, ticket, state.get("answer"))
    return dump(ticket)


async def review_list(redis, limit: int = 50) -> list[dict]:
    """Tickets rated 不满意, most recently rated first."""
    ids = await redis.zrevrange(REVIEW_KEY, 0, limit - 1)
    return [dump(t) for t in await store.load_many(redis, ids)]


async def _mutate(redis, ticket_id: str, change) -> Ticket:
    try:
        return await store.mutate(redis, ticket_id, change)
    except ValidationError as exc:
        raise TicketInvalid("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc


async def review_count(redis) -> int:
    return await redis.zcard(REVIEW_KEY)
