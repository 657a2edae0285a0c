"""Call journal: each call's summary and timeline in Redis (see docs/architecture.md for keys)."""
from __future__ import annotations

import json
import time
import uuid

from hotline.core import keys
from hotline.core.redis_wire import call, wire_for

CALLS = keys.CALLS.pattern
RETENTION_SECONDS = 90 * 24 * 3600


def call_key(call_id: str) -> str:
    return keys.CALL(call_id=call_id)


def journal_key(call_id: str) -> str:
    return keys.CALL_JOURNAL(call_id=call_id)


def new_call_id(now: float | None = None) -> str:
    """Sortable and readable: 20261121-043512-3fa2c1."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now or time.time()))
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


class Journal:
    """Writes go out on the client's wire with every other call's (hotline/core/redis_wire.py): at a busy hour
    the journal is most of the controller's Redis traffic. Reads use the client itself."""

    def __init__(self, redis) -> None:
        self.redis = redis

    async def open(self, call_id: str, **summary) -> None:
        """`started_at`: the INVITE's arrival at Asterisk; `picked_up_at`: the controller's AsyncAGI pickup."""
        started = summary.setdefault("started_at", time.time())
        entries = [_entry("arrived", started, {})]
        if summary.get("picked_up_at"):
            entries.append(_entry("picked_up", summary["picked_up_at"], {}))
        fields = {"call_id": call_id, **_flat(summary)}
        # the summary before the index entry: whoever finds the call finds its summary
        await self._write([_hset(call_key(call_id), fields), ("EXPIRE", call_key(call_id), RETENTION_SECONDS),
                           ("ZADD", CALLS, started, call_id), ("RPUSH", journal_key(call_id), *entries),
                           ("EXPIRE", journal_key(call_id), RETENTION_SECONDS)])

    async def record(self, call_id: str, event: str, *, at: float | None = None, **fields) -> None:
        await self.note(call_id, event, at=at, fields=fields)

    async def note(self, call_id: str, event: str, *, at: float | None = None, fields: dict | None = None,
                   summary: dict | None = None) -> None:
        """A timeline entry and (optionally) summary fields, written together."""
        entry, flat = _entry(event, at or time.time(), fields or {}), _flat(summary or {})
        commands: list[tuple] = [("RPUSH", journal_key(call_id), entry),
                                 ("EXPIRE", journal_key(call_id), RETENTION_SECONDS)]
        if flat:
            commands.append(_hset(call_key(call_id), flat))
        await self._write(commands)

    async def update(self, call_id: str, **summary) -> None:
        flat = _flat(summary)
        if flat:
            await self._write([_hset(call_key(call_id), flat)])

    async def _write(self, commands: list[tuple]) -> None:
        """An error reply (bad data) is raised to the writer, like Redis being away."""
        for reply in await wire_for(self.redis).execute(commands):
            if isinstance(reply, Exception):
                raise reply

    async def started_at(self, call_id: str) -> float | None:
        """The call's INVITE time; None when no journal was opened for it (one HGET, not the whole summary)."""
        value = await call(self.redis, "HGET", call_key(call_id), "started_at")
        return float(value) if value else None

    async def exists(self, call_id: str) -> bool:
        return bool(await call(self.redis, "EXISTS", call_key(call_id)))

    async def summary(self, call_id: str) -> dict | None:
        raw = await self.redis.hgetall(call_key(call_id))
        return _typed(raw) if raw else None

    async def get(self, call_id: str) -> dict | None:
        summary = await self.summary(call_id)
        if summary is None:
            return None
        events = sorted((json.loads(e) for e in await self.redis.lrange(journal_key(call_id), 0, -1)),
                        key=lambda e: e["t"])  # AMI consumers and the flow write concurrently
        return {**summary, "events": events}

    async def recent(self, limit: int = 50, before: float | None = None) -> list[dict]:
        ids = await self.redis.zrevrangebyscore(CALLS, before or "+inf", "-inf", start=0, num=limit)
        summaries = [await self.summary(i) for i in ids]
        return [s for s in summaries if s]


def _entry(event: str, at: float, fields: dict) -> str:
    return json.dumps({"t": round(at, 3), "event": event, **fields}, ensure_ascii=False)


def _hset(key: str, fields: dict) -> tuple:
    return ("HSET", key, *(item for pair in fields.items() for item in pair))


def _flat(summary: dict) -> dict:
    """Redis hashes hold strings; None means 'not set' and is skipped."""
    return {k: (json.dumps(v) if isinstance(v, (bool, dict, list)) else v)
            for k, v in summary.items() if v is not None}


_NUMERIC = {"started_at", "picked_up_at", "answered_at", "invite_to_answer_seconds", "queue_joined_at",
            "agent_connected_at", "ended_at", "menu_version", "recording_seconds", "wait_seconds"}


def _typed(raw: dict) -> dict:
    out: dict = {}
    for key, value in raw.items():
        if key in _NUMERIC:
            out[key] = float(value) if "." in value else int(value)
        elif value in ("true", "false"):
            out[key] = value == "true"
        else:
            out[key] = value
    return out


class SpooledJournal:
    """The journal's writes through the spool (kept in order while Redis is away); reads go straight to Redis.
    Times are taken when the call flow writes, not when the spool replays."""

    def __init__(self, journal: Journal, spool) -> None:
        self.direct = journal
        self.spool = spool
        spool.register("journal.open", journal.open)
        spool.register("journal.record", journal.record)
        spool.register("journal.update", journal.update)
        spool.register("journal.note", journal.note)

    async def open(self, call_id: str, **summary) -> None:
        summary.setdefault("started_at", time.time())
        await self.spool.run("journal.open", call_id=call_id, **summary)

    async def record(self, call_id: str, event: str, *, at: float | None = None, **fields) -> None:
        await self.spool.run("journal.record", call_id=call_id, event=event, at=at or time.time(), **fields)

    async def update(self, call_id: str, **summary) -> None:
        await self.spool.run("journal.update", call_id=call_id, **summary)

    async def note(self, call_id: str, event: str, *, at: float | None = None, fields: dict | None = None,
                   summary: dict | None = None) -> None:
        await self.spool.run("journal.note", call_id=call_id, event=event, at=at or time.time(), fields=fields,
                             summary=summary)

    async def started_at(self, call_id: str) -> float | None:
        return await self.direct.started_at(call_id)

    async def exists(self, call_id: str) -> bool:
        return await self.direct.exists(call_id)

    async def summary(self, call_id: str) -> dict | None:
        return await self.direct.summary(call_id)

    async def get(self, call_id: str) -> dict | None:
        return await self.direct.get(call_id)
