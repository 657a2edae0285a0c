"""Call-backs in Redis (the callback feature owns these keys: hotline/core/keys.py).

A call-back is keyed by its call's id (one per call). Status:
  queued    a placeholder holds the caller's place in the queue (or is about to: recovery re-places it)
  dialing   an agent took the placeholder; the caller's phone rings
  retry     the caller did not answer; the next attempt (at the head of the queue) is due at `next_try_at`
  connected the caller answered and talks to the agent        (done)
  failed    no answer after `attempts` tries: 回拨未接通        (failed)
"""
from __future__ import annotations

import time

from hotline.core import keys

RETENTION_SECONDS = 90 * 24 * 3600
OPEN = ("queued", "dialing", "retry")
DONE, FAILED = "connected", "failed"


def _typed(raw: dict) -> dict:
    out: dict = dict(raw)
    for key in ("attempts", "position"):
        if key in out:
            out[key] = int(out[key])
    for key in ("requested_at", "next_try_at", "updated_at", "finished_at"):
        if out.get(key):
            out[key] = float(out[key])
    return out


class CallbackStore:
    def __init__(self, redis) -> None:
        self.redis = redis

    async def create(self, call_id: str, **fields) -> bool:
        """A new call-back; False if the call already has one (a second key press books nothing new)."""
        now = time.time()
        key = keys.CALLBACK(call_id=call_id)
        record = {"call_id": call_id, "status": "queued", "attempts": 0, "requested_at": now, "updated_at": now,
                  **{k: v for k, v in fields.items() if v is not None}}
        if not await self.redis.hsetnx(key, "call_id", call_id):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={k: str(v) for k, v in record.items()})
            pipe.expire(key, RETENTION_SECONDS)
            pipe.zadd(keys.CALLBACKS.pattern, {call_id: now})
            pipe.zadd(keys.CALLBACKS_OPEN.pattern, {call_id: now})
            pipe.hincrby(keys.CALLBACK_STATS.pattern, "requested", 1)
            await pipe.execute()
        return True

    async def get(self, call_id: str) -> dict | None:
        raw = await self.redis.hgetall(keys.CALLBACK(call_id=call_id))
        return _typed(raw) if raw else None

    async def update(self, call_id: str, **fields) -> None:
        fields["updated_at"] = time.time()
        await self.redis.hset(keys.CALLBACK(call_id=call_id), mapping={k: str(v) for k, v in fields.items()})

    async def schedule(self, call_id: str, at: float) -> None:
        await self.redis.zadd(keys.CALLBACKS_OPEN.pattern, {call_id: at})

    async def finish(self, call_id: str, status: str, **fields) -> None:
        """connected or failed: out of the open set, counted once."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.CALLBACK(call_id=call_id), mapping={
                "status": status, "finished_at": str(time.time()), "updated_at": str(time.time()),
                **{k: str(v) for k, v in fields.items()}})
            pipe.zrem(keys.CALLBACKS_OPEN.pattern, call_id)
            await pipe.execute()
        await self.redis.hincrby(keys.CALLBACK_STATS.pattern, status, 1)

    async def count_attempt(self, call_id: str) -> int:
        await self.redis.hincrby(keys.CALLBACK_STATS.pattern, "attempts", 1)
        return int(await self.redis.hincrby(keys.CALLBACK(call_id=call_id), "attempts", 1))

    async def open_ids(self, due_before: float | None = None) -> list[str]:
        top = "+inf" if due_before is None else due_before
        return list(await self.redis.zrangebyscore(keys.CALLBACKS_OPEN.pattern, "-inf", top))

    async def recent(self, limit: int = 50) -> list[dict]:
        ids = await self.redis.zrevrange(keys.CALLBACKS.pattern, 0, limit - 1)
        records = [await self.get(call_id) for call_id in ids]
        return [r for r in records if r]

    async def stats(self) -> dict[str, int]:
        raw = await self.redis.hgetall(keys.CALLBACK_STATS.pattern)
        return {k: int(v) for k, v in raw.items()}

    async def counts(self) -> dict[str, int]:
        """pending (queued, dialing, retry) now; connected and failed so far."""
        stats = await self.stats()
        return {"pending": int(await self.redis.zcard(keys.CALLBACKS_OPEN.pattern)),
                "connected": stats.get(DONE, 0), "failed": stats.get(FAILED, 0),
                "requested": stats.get("requested", 0)}
