"""A local append-only spool for the call flow's writes while Redis is away.

Every write that must not be lost (journal entries, the draft ticket, the ASR job) runs through `Spool.run`:
straight to Redis when it is there and nothing is waiting, otherwise appended as one JSON line to a file in
the state dir (fsynced) and replayed in order by `replay_forever` once Redis answers again. While anything
waits, new writes queue behind it, so a call's journal stays in order. A spooled write that fails for another
reason than Redis being away is set aside in `<spool>.rejected`, never retried forever.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis import exceptions as redis_errors

from hotline.core.logging import log_event

log = logging.getLogger("ivr.spool")
Op = Callable[..., Awaitable[Any]]
REDIS_AWAY = (redis_errors.ConnectionError, redis_errors.TimeoutError, ConnectionError, TimeoutError,
              asyncio.TimeoutError)


class Spool:
    def __init__(self, path: Path, retry_seconds: float = 1.0) -> None:
        self.path = path
        self.retry_seconds = retry_seconds
        self.ops: dict[str, Op] = {}
        self.counters = {"spooled": 0, "replayed": 0, "rejected": 0}
        self._lock = asyncio.Lock()     # replay and appends never interleave
        self._wakeup = asyncio.Event()
        self._pending: bool | None = None    # unknown until first asked (a file left by an earlier run)

    def register(self, name: str, op: Op) -> None:
        self.ops[name] = op

    @property
    def pending(self) -> bool:
        """Whether writes wait in the file. Read from disk once, then kept: this process is the file's only
        writer, and every write asks (a stat per write was ~2.5 % of the controller at 1,000 calls)."""
        if self._pending is None:
            self._pending = self.path.exists() and self.path.stat().st_size > 0
        return self._pending

    async def run(self, name: str, **kwargs: Any) -> Any:
        """The op's result, or None when it was spooled (Redis away, or earlier writes still waiting)."""
        if not self.pending:
            try:
                return await self.ops[name](**kwargs)
            except REDIS_AWAY as exc:
                log_event(log, "Redis away: spooling", logging.WARNING, op=name, error=repr(exc)[:120])
        async with self._lock:
            self._append([{"op": name, "args": kwargs}])
            self._pending = True
        self.counters["spooled"] += 1
        self._wakeup.set()
        return None

    async def replay_forever(self) -> None:
        while True:
            if self.pending:
                try:
                    await self.replay()
                except REDIS_AWAY:
                    pass                                     # still away: try again shortly
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.retry_seconds)
            except TimeoutError:
                pass

    async def replay(self) -> int:
        """Run every spooled write in order; raises a REDIS_AWAY error (keeping the rest) if Redis goes again."""
        async with self._lock:
            entries = self._read()
            done = 0
            try:
                for entry in entries:
                    await self._replay_one(entry)
                    done += 1
            finally:
                self._rewrite(entries[done:])
                self._pending = bool(entries[done:])
                self.counters["replayed"] += done
        if done:
            log_event(log, "spool replayed", writes=done, left=len(entries) - done)
        return done

    async def _replay_one(self, entry: dict) -> None:
        op = self.ops.get(entry.get("op", ""))
        try:
            if op is None:
                raise LookupError(f"unknown spooled op {entry.get('op')!r}")
            await op(**entry.get("args", {}))
        except REDIS_AWAY:
            raise
        except Exception as exc:   # a bad entry must not hold up the calls behind it
            self.counters["rejected"] += 1
            log_event(log, "spooled write rejected", logging.ERROR, op=entry.get("op"), error=repr(exc)[:200])
            append_lines(self.path.with_suffix(".rejected"), [{**entry, "error": repr(exc)[:500]}])

    def _read(self) -> list[dict]:
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:     # a line torn by a crash mid-write: the rest is still good
                log_event(log, "torn spool line skipped", logging.WARNING, line=line[:80])
        return entries

    def _append(self, entries: list[dict]) -> None:
        append_lines(self.path, entries)

    def _rewrite(self, entries: list[dict]) -> None:
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        append_lines(tmp, entries)
        os.replace(tmp, self.path)


def append_lines(path: Path, entries: list[dict]) -> None:
    """JSON lines appended to a private file (0600: caller numbers), fsynced before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
        out.flush()
        os.fsync(out.fileno())
