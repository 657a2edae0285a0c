"""When 回访 calls may be placed, and the schedule of pending ones in Redis (survives a controller restart).

Each follow-up is a hash `hotline:followup:{ticket_id}` plus its ticket id in the `hotline:followups:due` zset
scored by the next time to try. A try in progress stays in the zset with a lease as its score: if the
controller dies during the call, the follow-up comes due again and is tried once more.
"""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from hotline.core import keys

RETENTION_SECONDS = 90 * 24 * 3600
DUE = keys.FOLLOWUPS_DUE.pattern


def parse_hours(hours: str) -> tuple[dt.time, dt.time]:
    """"08:00-21:00" → (08:00, 21:00); "24:00" as the end means midnight."""
    start, end = hours.split("-")
    end_time = dt.time.max if end == "24:00" else dt.time.fromisoformat(end)
    return dt.time.fromisoformat(start), end_time


def local_now(now: float, timezone: str, clock: str = "") -> dt.datetime:
    """The local wall clock; `clock` ("HH:MM", the test/demo setting followup_clock) replaces the time of day."""
    local = dt.datetime.fromtimestamp(now, ZoneInfo(timezone))
    if clock:
        hour, minute = (int(x) for x in clock.split(":"))
        local = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local


def within_hours(local: dt.datetime, hours: str) -> bool:
    start, end = parse_hours(hours)
    return start <= local.time() < end if start <= end else not end <= local.time() < start


def seconds_until_open(local: dt.datetime, hours: str) -> float:
    """0 inside the hours; otherwise the wait until they next begin."""
    if within_hours(local, hours):
        return 0.0
    start, _ = parse_hours(hours)
    opening = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if opening <= local:
        opening += dt.timedelta(days=1)
    return (opening - local).total_seconds()


def key(ticket_id: str) -> str:
    return keys.FOLLOWUP(ticket_id=ticket_id)


async def schedule(redis, ticket_id: str, caller: str, at: float) -> dict:
    """A new 回访 for the ticket (a later result replaces the pending one: tries start again)."""
    state = {"ticket_id": ticket_id, "caller": caller, "status": "scheduled", "tries": 0, "next_at": at,
             "scheduled_at": time.time(), "answer": "", "last_error": ""}
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key(ticket_id))
        pipe.hset(key(ticket_id), mapping=state)
        pipe.expire(key(ticket_id), RETENTION_SECONDS)
        pipe.zadd(DUE, {ticket_id: at})
        await pipe.execute()
    return state


async def due(redis, now: float, limit: int = 10) -> list[str]:
    return await redis.zrangebyscore(DUE, "-inf", now, start=0, num=limit)


async def get(redis, ticket_id: str) -> dict | None:
    raw = await redis.hgetall(key(ticket_id))
    if not raw:
        return None
    return {**raw, "tries": int(raw.get("tries", 0)), "next_at": float(raw.get("next_at") or 0)}


async def postpone(redis, ticket_id: str, at: float, **fields) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key(ticket_id), mapping={"next_at": at, **fields})
        pipe.zadd(DUE, {ticket_id: at})
        await pipe.execute()


async def start_try(redis, ticket_id: str, lease_until: float) -> int:
    """Mark a try as running (the lease brings it back if nobody finishes it); returns the try number."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key(ticket_id), "tries", 1)
        pipe.hset(key(ticket_id), mapping={"status": "calling", "next_at": lease_until})
        pipe.zadd(DUE, {ticket_id: lease_until})
        tries, *_ = await pipe.execute()
    return int(tries)


async def finish(redis, ticket_id: str, status: str, **fields) -> None:
    """done (answered) or failed (no answer after the last try): off the due list."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key(ticket_id), mapping={"status": status, "finished_at": time.time(), **fields})
        pipe.zrem(DUE, ticket_id)
        await pipe.execute()


async def pending(redis) -> int:
    return await redis.zcard(DUE)
