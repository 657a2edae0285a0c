"""Many writers' commands on one Redis connection, sent together and answered in order (RESP pipelining).

redis-py's asyncio client costs the controller ~75 µs of CPU per command (pool checkout, retry wrapper,
observability hooks, a task per pool release) against ~17 µs here, ~8 µs with others in flight
(docs/decisions.md, capacity, seventh round). At a busy hour the call journal is most of the controller's
Redis traffic, so its writes come this way. Commands queued in the same turn of the event loop leave in one
socket write; replies come back in the order sent, so no command waits for another's round trip.

The address, password and Sentinel discovery are the redis-py client's own (`wire_for(client)`): one
configuration, one way to find the primary. Failures are redis-py's exceptions, so the spool treats them as
it always has: a connection lost, refused or silent for `reply_timeout` fails every command in flight with
`ConnectionError`/`TimeoutError` (Redis away), and the next command connects again (asking the Sentinels
anew); an error reply (`ResponseError`) fails only the writer whose command it was.
"""
from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import Sequence

import hiredis
from redis import exceptions as redis_errors
from redis.asyncio.sentinel import SentinelConnectionPool

Command = Sequence[str | bytes | int | float]
REPLY_TIMEOUT_SECONDS = 5.0   # a Redis that answers nothing for this long is away (stopped, partitioned)
CONNECT_TIMEOUT_SECONDS = 2.0
_AWAY_REPLIES = ("LOADING", "READONLY", "MASTERDOWN")
_wires: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def wire_for(client) -> RedisWire:
    """The one wire of a redis-py client (same server, password, database, Sentinels)."""
    wire = _wires.get(client)
    if wire is None:
        wire = _wires[client] = RedisWire(client.connection_pool)
    return wire


async def _ignore(error: Exception) -> None:
    return None


class _Pending:
    __slots__ = ("future", "left", "replies", "deadline")

    def __init__(self, future: asyncio.Future, count: int, deadline: float) -> None:
        self.future, self.left, self.deadline = future, count, deadline
        self.replies: list = []


class _Protocol(asyncio.Protocol):
    def __init__(self, wire: RedisWire) -> None:
        self.wire = wire
        self.transport: asyncio.BaseTransport | None = None
        self.reader = hiredis.Reader(encoding="utf-8" if wire.decode else None, replyError=redis_errors.ResponseError,
                                     protocolError=redis_errors.InvalidResponse)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (reply := self.reader.gets()) is not False:
                self.wire._reply(reply)
        except redis_errors.InvalidResponse as exc:
            self.wire._abort(redis_errors.ConnectionError(f"Redis protocol error: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.wire._transport is self.transport:   # not an older connection the wire already left
            self.wire._abort(redis_errors.ConnectionError(f"Redis connection lost: {exc or 'closed'}"))


class RedisWire:
    def __init__(self, pool, reply_timeout: float = REPLY_TIMEOUT_SECONDS) -> None:
        self.pool, self.reply_timeout = pool, reply_timeout
        self.decode = bool(pool.connection_kwargs.get("decode_responses"))   # str replies, like the client's
        self._transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting: asyncio.Future | None = None
        self._pending: deque[_Pending] = deque()
        self._outgoing: list[bytes] = []
        self._watchdog: asyncio.TimerHandle | None = None
        self.writes = 0   # socket writes, for tests and benches: commands of one loop turn share one

    async def execute(self, commands: Sequence[Command]) -> list:
        """Each command's reply, in order (an error reply in its place, as a `ResponseError`); raises
        ConnectionError/TimeoutError when Redis is away, for all of them."""
        if not commands:
            return []
        packed = [hiredis.pack_command(tuple(command)) for command in commands]  # type: ignore[arg-type]  # bad data fails here, alone
        await self._connected()
        loop = asyncio.get_running_loop()
        pending = _Pending(loop.create_future(), len(packed), time.monotonic() + self.reply_timeout)
        self._pending.append(pending)
        if not self._outgoing:
            loop.call_soon(self._flush)
        self._outgoing.extend(packed)
        if self._watchdog is None:
            self._watchdog = loop.call_later(self.reply_timeout / 4, self._watch)
        return await pending.future

    async def _connected(self) -> None:
        if self._transport is not None:
            if self._loop is asyncio.get_running_loop():
                return
            self._abort(redis_errors.ConnectionError("event loop changed"))   # tests: a loop per test
        if self._connecting is None or self._connecting.get_loop() is not asyncio.get_running_loop():
            self._connecting = asyncio.ensure_future(self._connect())
        try:
            await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _connect(self) -> None:
        """With the client's own retries (its `Retry`: a restarting Redis, a failover under way); only the
        connect is retried here, never a command that may already have run."""
        retry = self.pool.connection_kwargs.get("retry")
        transport = await (retry.call_with_retry(self._open, _ignore) if retry else self._open())
        loop = asyncio.get_running_loop()
        self._transport, self._loop = transport, loop
        options = self.pool.connection_kwargs
        hello = [("AUTH", options["password"])] if options.get("password") else []
        if options.get("db"):
            hello.append(("SELECT", options["db"]))
        for reply in await self.execute(hello):
            if isinstance(reply, Exception):
                self._abort(redis_errors.ConnectionError(f"Redis refused the login: {reply}"))
                raise redis_errors.AuthenticationError(str(reply))

    async def _open(self) -> asyncio.Transport:
        loop = asyncio.get_running_loop()
        options = self.pool.connection_kwargs
        try:
            if isinstance(self.pool, SentinelConnectionPool):   # asks the Sentinels every time
                host, port = await self.pool.get_master_address()
                opening = loop.create_connection(lambda: _Protocol(self), host, port)
            elif options.get("path"):
                opening = loop.create_unix_connection(lambda: _Protocol(self), options["path"])
            else:
                opening = loop.create_connection(lambda: _Protocol(self), options.get("host", "localhost"),
                                                 options.get("port", 6379))
            transport, _ = await asyncio.wait_for(opening, CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, redis_errors.RedisError) as exc:
            raise redis_errors.ConnectionError(f"Redis unreachable: {exc!r}") from None
        return transport

    def _flush(self) -> None:
        if self._outgoing and self._transport is not None:
            self._transport.write(b"".join(self._outgoing))
            self.writes += 1
        self._outgoing.clear()

    def _reply(self, reply) -> None:
        if isinstance(reply, redis_errors.ResponseError) and str(reply).startswith(_AWAY_REPLIES):
            # still loading its data after a restart, or a primary demoted by a failover: Redis is away for
            # every command in flight (redis-py too calls LOADING a connection error); the next connects anew
            return self._abort(redis_errors.BusyLoadingError(f"Redis not ready: {reply}"))
        if not self._pending:
            return self._abort(redis_errors.ConnectionError("Redis answered a command nobody sent"))
        head = self._pending[0]
        head.replies.append(reply)
        head.left -= 1
        if head.left == 0:
            self._pending.popleft()
            if not head.future.done():   # a writer that stopped waiting: nobody to tell
                head.future.set_result(head.replies)

    def _watch(self) -> None:
        self._watchdog = None
        if not self._pending:
            return
        if self._pending[0].deadline < time.monotonic():
            return self._abort(redis_errors.TimeoutError(f"Redis silent for {self.reply_timeout} s"))
        assert self._loop is not None
        self._watchdog = self._loop.call_later(self.reply_timeout / 4, self._watch)

    def _abort(self, error: Exception) -> None:
        """Every command in flight fails (their replies can no longer be told apart); the next connects."""
        transport, self._transport = self._transport, None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if transport is not None and not transport.is_closing():
            try:
                transport.abort()
            except RuntimeError:   # its event loop is closed already
                pass
        self._outgoing.clear()
        while self._pending:
            pending = self._pending.popleft()
            if not pending.future.done():
                pending.future.set_exception(error)

    async def aclose(self) -> None:
        self._abort(redis_errors.ConnectionError("wire closed"))


async def call(client, *command):
    """One command on the client's wire; an error reply is raised (as redis-py would)."""
    (reply,) = await wire_for(client).execute([command])
    if isinstance(reply, Exception):
        raise reply
    return reply
