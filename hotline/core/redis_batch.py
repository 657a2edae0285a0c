"""Writes from many callers that arrive together, sent to Redis as one pipeline.

At a busy hour hundreds of calls each write a journal entry at about the same moment; one round trip each
cost the controller's event loop a pool checkout, a retry wrapper and a reply parse per write (profiled in
docs/performance.md, capacity). Here a write waits at most for the round trip already in flight, then goes
with everything queued behind it. Each writer still gets its own outcome: a command that fails fails only its
writer, and Redis being away fails the whole batch (each writer then spools its own write).
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

Build = Callable[[Any], None]    # adds one writer's commands to the pipeline it is given
MAX_WRITES_PER_ROUND_TRIP = 500


class BatchedWriter:
    def __init__(self, redis, max_writes: int = MAX_WRITES_PER_ROUND_TRIP) -> None:
        self.redis = redis
        self.max_writes = max_writes
        self._queue: deque[tuple[Build, asyncio.Future]] = deque()
        self._flusher: asyncio.Task | None = None
        self.round_trips = 0     # for tests and benches: how many pipelines the writes took

    async def write(self, build: Build) -> list:
        """Run `build(pipeline)`'s commands; returns their results, or raises the first one that failed."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((build, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self.max_writes, len(self._queue)))]
            try:
                await self._send(batch)
            except asyncio.CancelledError:
                _fail(batch, ConnectionError("batched writer stopped"))
                raise
            except Exception as exc:   # Redis away (or the pipeline itself broke): every writer of it hears
                _fail(batch, exc)

    async def _send(self, batch: list[tuple[Build, asyncio.Future]]) -> None:
        counts: list[int] = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for build, future in batch:
                before = len(pipe.command_stack)
                try:
                    build(pipe)
                except Exception as exc:          # one writer's bad data: its commands are taken back
                    del pipe.command_stack[before:]
                    _settle(future, exc)
                counts.append(len(pipe.command_stack) - before)
            results = await pipe.execute(raise_on_error=False) if pipe.command_stack else []
        self.round_trips += 1
        start = 0
        for (_, future), count in zip(batch, counts, strict=True):
            mine = results[start:start + count]
            start += count
            failed = next((r for r in mine if isinstance(r, Exception)), None)
            _settle(future, failed, mine)


def _settle(future: asyncio.Future, error: BaseException | None, result: Any = None) -> None:
    if future.done():          # the writer gave up waiting (cancelled): nobody to tell
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _fail(batch: list[tuple[Build, asyncio.Future]], error: BaseException) -> None:
    for _, future in batch:
        _settle(future, error)
