"""ASR jobs off the happy path: a failed attempt is written on the ticket, a job that failed `max_attempts`
times moves to the dead-letter stream (so it never blocks the others), and `hotline asr retry` puts jobs back.

Keys: hotline:recordings (stream, consumer group `asr`; ivr publishes, tickets consume and re-publish on
retry) and hotline:recordings:dead (tickets: the job's fields plus message_id, error, attempts, failed_at).
"""
from __future__ import annotations

import logging
import time

from hotline.core import keys
from hotline.core.logging import log_event
from hotline.tickets import service, store
from hotline.tickets.model import clip

log = logging.getLogger("hotline.tickets.jobs")
STREAM = keys.RECORDINGS.pattern
GROUP = "asr"
STREAM_MAXLEN = 100_000
DEAD_STREAM = keys.RECORDINGS_DEAD.pattern
DEAD_FIELDS = ("message_id", "pass", "error", "attempts", "failed_at")
JOB_FIELDS = ("call_id", "path", "caller", "route", "recorded_at")


async def attempts(redis, message_id: str, group: str = GROUP) -> int:
    """How often the group delivered this job (XREADGROUP and each XAUTOCLAIM count one)."""
    pending = await redis.xpending_range(STREAM, group, min=message_id, max=message_id, count=1)
    return int(pending[0]["times_delivered"]) if pending else 1


async def fail(redis, message_id: str, fields: dict, error: str, max_attempts: int, *, lines,
               group: str = GROUP, pass_name: str = "fast") -> bool:
    """Record a failed attempt on the ticket (the pass's transcript); at max_attempts dead-letter and ack the
    job in that pass's group. True if dead-lettered."""
    n = await attempts(redis, message_id, group)
    final = n >= max_attempts
    call_id = fields.get("call_id")
    reason = f"{error} (attempt {n} of {max_attempts}; " + (
        f"gave up: `hotline asr retry {call_id}`)" if final else "will retry)")
    if call_id:
        try:
            await service.record_transcript_failure(redis, call_id, reason, call=fields, pass_name=pass_name,
                                                    lines=lines)
        except Exception as exc:  # the ticket itself may be what fails: the dead-letter entry still says why
            log_event(log, "could not record the failure on the ticket", logging.WARNING, call_id=call_id,
                      error=clip(exc, 200))
    if final:
        entry = {**{k: v for k, v in fields.items() if k not in DEAD_FIELDS}, "message_id": message_id, "pass": pass_name,
                 "error": clip(error, 500), "attempts": n, "failed_at": round(time.time(), 3)}
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xadd(DEAD_STREAM, entry, maxlen=STREAM_MAXLEN, approximate=True)
            pipe.xack(STREAM, group, message_id)
            await pipe.execute()
    log_event(log, "ASR job failed" + (", dead-lettered" if final else ""), logging.ERROR,
              call_id=call_id, message_id=message_id, attempt=n, error=clip(error, 300))
    return final


async def publish(redis, job: dict) -> str:
    return await redis.xadd(STREAM, job, maxlen=STREAM_MAXLEN, approximate=True)


async def retry(redis, ident: str, who: str = "cli") -> dict:
    """Re-run the job of one ticket (ticket id or call id): transcript pending again, a fresh job, and its
    dead-letter entries gone. Returns the job."""
    ticket_id = ident if await redis.exists(store.TICKET_KEY.format(ticket_id=ident)) else await store.id_for_call(redis, ident)
    if not ticket_id:
        raise store.TicketNotFound(f"no ticket with id or call id {ident!r}")
    ticket = await service.reset_transcript(redis, ticket_id, who)
    job = {"call_id": ticket["call_id"], "path": ticket["recording_path"], "caller": ticket["caller"],
           "route": ticket["line"], "recorded_at": str(time.time()), "retry": "1"}
    await publish(redis, job)
    await _forget_dead(redis, lambda fields: fields.get("call_id") == ticket["call_id"])
    log_event(log, "ASR job retried", ticket_id=ticket_id, call_id=ticket["call_id"], who=who)
    return job


async def retry_failed(redis, who: str = "cli") -> list[dict]:
    """Put every dead-lettered job back on the stream (its ticket pending again when there is one)."""
    jobs = []
    for entry_id, fields in await redis.xrange(DEAD_STREAM):
        job = {k: v for k, v in fields.items() if k not in DEAD_FIELDS}
        ticket_id = await store.id_for_call(redis, job.get("call_id", ""))
        if ticket_id:
            try:
                await service.reset_transcript(redis, ticket_id, who)
            except (service.TicketInvalid, store.TicketNotFound) as exc:
                log_event(log, "retry without resetting the ticket", logging.WARNING, ticket_id=ticket_id, error=str(exc))
        await publish(redis, {**job, "retry": "1"})
        await redis.xdel(DEAD_STREAM, entry_id)
        jobs.append(job)
    log_event(log, "dead-lettered ASR jobs retried", count=len(jobs), who=who)
    return jobs


async def _forget_dead(redis, match) -> None:
    for entry_id, fields in await redis.xrange(DEAD_STREAM):
        if match(fields):
            await redis.xdel(DEAD_STREAM, entry_id)
