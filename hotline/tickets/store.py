"""Redis persistence of tickets: atomic create-once-per-call, optimistic read-modify-write, indexes, events.

Keys (docs/architecture.md): hotline:ticket:{id} JSON, hotline:ticket-by-call:{call_id}, hotline:tickets zset,
hotline:ticket-events stream; plus the tickets-owned indexes hotline:tickets:caller:{caller},
hotline:tickets:category:{category} (zsets by creation time) and hotline:ticket-seq:{YYYYMMDD} (INCR counter).
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from pydantic import ValidationError
from redis.exceptions import WatchError

from hotline.core import keys
from hotline.core.logging import log_event
from hotline.core.redis_client import run_script
from hotline.reports import facts as report_facts
from hotline.tickets.model import Ticket
from hotline.tickets.repair import repair

log = logging.getLogger("hotline.tickets.store")

TICKET_KEY = keys.TICKET.pattern
BY_CALL_KEY = keys.TICKET_BY_CALL.pattern
ALL_KEY = keys.TICKETS.pattern
CALLER_KEY = keys.TICKETS_BY_CALLER.pattern
CATEGORY_KEY = keys.TICKETS_BY_CATEGORY.pattern
HANDLER_KEY = keys.TICKETS_BY_HANDLER.pattern
SEQ_KEY = keys.TICKET_SEQ.pattern
EVENTS_STREAM = keys.TICKET_EVENTS.pattern
EVENTS_MAXLEN = 100_000
QUARANTINE_KEY = keys.TICKET_QUARANTINE.pattern
QUARANTINED_KEY = keys.TICKETS_QUARANTINED.pattern
ID_PLACEHOLDER = "__TICKET_ID__"

# One ticket per call, atomically: SET NX of the by-call key, a per-day sequence number, the ticket,
# its indexes and the "created" event in one step, so racing writers (call flow vs ASR worker) never
# both create one and no reader ever sees a by-call id without its ticket.
_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 0} end
local seq = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 172800)
local id = ARGV[1] .. string.format('%06d', seq)
redis.call('SET', KEYS[1], id, 'NX')
local body = string.gsub(ARGV[2], ARGV[3], id)
redis.call('SET', ARGV[7] .. id, body)
redis.call('ZADD', KEYS[3], ARGV[4], id)
redis.call('ZADD', KEYS[4], ARGV[4], id)
redis.call('ZADD', KEYS[5], ARGV[4], id)
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', 'ticket_id', id, 'call_id', ARGV[5], 'kind', 'created')
return {id, 1}
"""


class TicketNotFound(LookupError):
    pass


class TicketCorrupt(TicketNotFound):
    """Stored, but beyond repair (`hotline tickets check --fix` quarantines it)."""


def parse(raw: str, ticket_id: str) -> tuple[Ticket, list[str]]:
    """The stored ticket, repaired in memory when it no longer validates: (ticket, what was repaired)."""
    try:
        return Ticket.model_validate_json(raw), []
    except ValidationError:
        ticket, problems = repair(raw, ticket_id)
    log_event(log, "stored ticket does not validate", logging.WARNING, ticket_id=ticket_id,
              repaired=ticket is not None, problems=problems[:10])
    if ticket is None:
        raise TicketCorrupt(f"ticket {ticket_id} is unreadable ({'; '.join(problems)[:200]}); "
                            "run `hotline tickets check --fix`")
    return ticket, problems


def _caller_key(caller: str) -> str:
    return CALLER_KEY.format(caller=caller or "-")


def create_command(ticket: Ticket) -> tuple:
    """EVAL arguments of the create-once step (create_once; the history generator pipelines them)."""
    day = time.strftime("%Y%m%d", time.localtime(ticket.created_at))
    body = ticket.model_copy(update={"id": ID_PLACEHOLDER}).model_dump_json()
    names = [BY_CALL_KEY.format(call_id=ticket.call_id), SEQ_KEY.format(day=day), ALL_KEY,
             _caller_key(ticket.caller), CATEGORY_KEY.format(category=ticket.category)]
    args = [f"T{day}-", body, ID_PLACEHOLDER, ticket.created_at, ticket.call_id, EVENTS_MAXLEN,
            TICKET_KEY.format(ticket_id="")]
    return (_CREATE, len(names) + 1, *names, EVENTS_STREAM, *args)


async def create_once(redis, ticket: Ticket) -> tuple[str, bool]:
    """Store `ticket` (its id is assigned here) unless the call already has one; returns (id, created)."""
    ticket_id, created = await run_script(redis, *create_command(ticket))
    if int(created):  # counted in the hotspot reports' per-day aggregates
        await report_facts.record(redis, ticket.model_copy(update={"id": ticket_id}))
    return ticket_id, bool(int(created))


async def id_for_call(redis, call_id: str) -> str | None:
    return await redis.get(BY_CALL_KEY.format(call_id=call_id))


async def load(redis, ticket_id: str) -> Ticket:
    raw = await redis.get(TICKET_KEY.format(ticket_id=ticket_id))
    if raw is None:
        raise TicketNotFound(f"ticket {ticket_id} not found")
    return parse(raw, ticket_id)[0]


async def load_many(redis, ticket_ids: list[str]) -> list[Ticket]:
    """The tickets that exist and can be read; one beyond repair is left out (and logged), never fatal."""
    if not ticket_ids:
        return []
    raws = await redis.mget([TICKET_KEY.format(ticket_id=i) for i in ticket_ids])
    found = []
    for ticket_id, raw in zip(ticket_ids, raws):
        if raw is None:
            continue
        try:
            found.append(parse(raw, ticket_id)[0])
        except TicketCorrupt:
            continue
    return found


async def mutate(redis, ticket_id: str, change: Callable[[Ticket], str | None]) -> Ticket:
    """Apply `change` to the stored ticket under WATCH (retried on conflict). `change` returns the event
    kind to publish, or None when nothing changed (then nothing is written). Exceptions abort untouched.
    A stored ticket that needed repair is written back repaired (audited), even when `change` changes nothing."""
    key = TICKET_KEY.format(ticket_id=ticket_id)
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                raw = await pipe.get(key)
                if raw is None:
                    raise TicketNotFound(f"ticket {ticket_id} not found")
                ticket, repaired = parse(raw, ticket_id)
                if repaired:
                    ticket.record("system", "repaired", {"problems": repaired})
                old_category = ticket.category
                kind = change(ticket) or ("updated" if repaired else None)
                if kind is None:
                    await pipe.unwatch()
                    return ticket
                pipe.multi()
                pipe.set(key, ticket.model_dump_json())
                if ticket.category != old_category:
                    pipe.zrem(CATEGORY_KEY.format(category=old_category), ticket.id)
                    pipe.zadd(CATEGORY_KEY.format(category=ticket.category), {ticket.id: ticket.created_at})
                pipe.xadd(EVENTS_STREAM, {"ticket_id": ticket.id, "call_id": ticket.call_id, "kind": kind},
                          maxlen=EVENTS_MAXLEN, approximate=True)
                report_facts.queue(pipe, ticket)  # a reclassified ticket moves in the report aggregates too
                await pipe.execute()
                return ticket
            except WatchError:
                continue


async def quarantine(redis, ticket_id: str) -> bool:
    """Set a ticket beyond repair aside (raw value kept under QUARANTINE_KEY) so no listing trips on it."""
    key = TICKET_KEY.format(ticket_id=ticket_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.renamenx(key, QUARANTINE_KEY.format(ticket_id=ticket_id))
        pipe.zrem(ALL_KEY, ticket_id)
        pipe.zadd(QUARANTINED_KEY, {ticket_id: time.time()})
        try:
            moved, *_ = await pipe.execute()
        except Exception as exc:  # the key vanished meanwhile: nothing to set aside
            log_event(log, "quarantine failed", logging.WARNING, ticket_id=ticket_id, error=str(exc)[:160])
            return False
    log_event(log, "ticket quarantined", logging.WARNING, ticket_id=ticket_id)
    return bool(moved)


async def scan_ids(redis) -> list[str]:
    """Every stored ticket id, indexed or not."""
    prefix = TICKET_KEY.format(ticket_id="")
    return sorted([key[len(prefix):] async for key in redis.scan_iter(match=prefix + "*", count=1000)])


async def recent_ids(redis, index_key: str, since: float, limit: int = 500) -> list[str]:
    return await redis.zrevrangebyscore(index_key, "+inf", since, start=0, num=limit)


async def caller_ids(redis, caller: str, since: float = 0) -> list[str]:
    """Tickets of this number; none for a caller without a number (anonymous callers are not one person)."""
    return await recent_ids(redis, _caller_key(caller), since) if caller else []


async def category_ids(redis, category: str, since: float = 0) -> list[str]:
    return await recent_ids(redis, CATEGORY_KEY.format(category=category), since)


async def newest(redis, index_key: str, offset: int, count: int) -> list[str]:
    return await redis.zrevrange(index_key, offset, offset + count - 1)


def dump(ticket: Ticket) -> dict:
    return json.loads(ticket.model_dump_json())
