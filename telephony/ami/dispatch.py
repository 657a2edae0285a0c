"""Event fan-out: a coroutine handler gets its own queue + worker task; a plain function runs at once.

For a coroutine handler the reader only does `put_nowait`, so a slow handler never stalls reading the socket
or the other handlers, and each handler still sees its events in arrival order. A plain function (the AGI
results, the journal's router, the ring's lateness) is called by the reader itself, in arrival order: it must
be quick. That saves a queue hand-over and a task switch for most of the ~20 events of each call (~3 µs of
the controller's CPU per event; docs/decisions.md, capacity, sixth round).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from hotline.core.logging import log_event
from telephony.ami.message import Message

log = logging.getLogger("telephony.ami.dispatch")

Handler = Callable[[Message], Any]
ALL = "*"
_BACKLOG_WARN = 1000


class _Subscription:
    def __init__(self, names: frozenset[str], handler: Handler):
        self.names = names
        self.handler = handler
        # (message, None) for the handler, or (message, awaitable) a plain handler returned: awaited in its turn
        self.queue: asyncio.Queue[tuple[Message, Awaitable | None]] = asyncio.Queue()
        self.worker: asyncio.Task | None = None
        self.warn_at = _BACKLOG_WARN
        self.inline = not _is_async(handler)   # a plain function: called by the reader, no queue

    @property
    def label(self) -> str:
        return getattr(self.handler, "__qualname__", repr(self.handler))

    def push(self, message: Message) -> None:
        if self.inline and self.queue.empty():
            self._call(message)
            return
        self._enqueue(message, None)

    def _call(self, message: Message) -> None:
        try:
            result = self.handler(message)
        except Exception:
            self._failed(message)
            return
        if inspect.isawaitable(result):   # a lambda returning a coroutine: awaited by the worker, in order
            self._enqueue(message, result)

    def _enqueue(self, message: Message, result: Awaitable | None) -> None:
        self.queue.put_nowait((message, result))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._work(), name=f"ami-handler:{self.label}")
        if self.queue.qsize() >= self.warn_at:
            log_event(log, "ami handler falling behind", logging.WARNING,
                      handler=self.label, backlog=self.queue.qsize())
            self.warn_at *= 10

    def _failed(self, message: Message) -> None:
        log.exception("ami event handler failed", extra={"fields": {"handler": self.label, "event": message.name}})

    async def _work(self) -> None:
        while True:
            message, result = await self.queue.get()
            try:
                if result is None:
                    result = self.handler(message)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                self._failed(message)


def _is_async(handler: Handler) -> bool:
    """A coroutine function, or a callable object whose __call__ is one."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(type(handler).__call__)


class EventDispatcher:
    def __init__(self) -> None:
        self._by_name: dict[str, list[_Subscription]] = {}

    def subscribe(self, names: str | Iterable[str], handler: Handler) -> Callable[[], None]:
        """Register `handler` for one name, several names (one shared ordered queue), or "*".

        Returns a function that unsubscribes.
        """
        name_set = frozenset([names] if isinstance(names, str) else names)
        sub = _Subscription(name_set, handler)
        for name in name_set:
            self._by_name.setdefault(name, []).append(sub)

        def unsubscribe() -> None:
            for name in name_set:
                subs = self._by_name.get(name, [])
                if sub in subs:
                    subs.remove(sub)
            if sub.worker:
                sub.worker.cancel()
        return unsubscribe

    def dispatch(self, message: Message) -> None:
        for sub in self._by_name.get(message.name, ()):
            sub.push(message)
        for sub in self._by_name.get(ALL, ()):
            if message.name not in sub.names:  # a sub naming "*" and this event gets it once
                sub.push(message)

    async def close(self) -> None:
        """Stop every worker (events still queued are dropped)."""
        workers = {sub.worker for subs in self._by_name.values() for sub in subs if sub.worker}
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for subs in self._by_name.values():
            for sub in subs:
                sub.worker = None
