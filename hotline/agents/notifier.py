"""Per-agent WebSocket fan-out with a Redis stream per agent so a reconnecting browser misses nothing.

Every call message for an agent is XADDed to `hotline:screenpop:{agent}` (capped) first; its stream id
becomes the message `id`. A connection registers *before* it replays the stream after the browser's last
seen id, so a message published during the replay is queued and sent once (ids are compared, not trusted
to arrive in order twice).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import Awaitable, Callable

from hotline.core import keys
from hotline.core.logging import log_event

log = logging.getLogger("hotline.agents.notifier")
STREAM_KEY = keys.SCREENPOP.pattern
FIRST_CONNECT_REPLAY = 20  # a fresh browser sees the call (and ticket) it was last working on
QUEUE_LIMIT = 1000  # per connection; a browser this far behind is dropped and will replay on reconnect


_DROP: dict = {"type": "_drop"}


class ConnectionDropped(Exception):
    """The connection could not keep up and was closed (nothing is lost: the stream has it all)."""


def stream_key(agent: str) -> str:
    return STREAM_KEY.format(agent=agent)


def id_after(stream_id: str, last_id: str | None) -> bool:
    """Redis stream ids compare as (ms, seq) pairs, not as strings."""
    if not last_id:
        return True
    try:
        return _split(stream_id) > _split(last_id)
    except ValueError:
        return True


def _split(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class Connection:
    """One browser tab. `send` is the transport (websocket.send_text), kept abstract for tests/bench."""

    def __init__(self, agent: str, send: Callable[[str], Awaitable[None]]):
        self.agent = agent
        self.send = send
        self.queue: asyncio.Queue[dict] = asyncio.Queue(QUEUE_LIMIT)
        self.last_sent: str | None = None

    def offer(self, message: dict) -> bool:
        try:
            self.queue.put_nowait(message)
            return True
        except asyncio.QueueFull:
            return False

    async def deliver(self, message: dict) -> None:
        msg_id = message.get("id")
        if msg_id and not id_after(msg_id, self.last_sent):
            return  # already sent by the replay
        await self.send(json.dumps(message, ensure_ascii=False))
        if msg_id:
            self.last_sent = msg_id

    def drop(self) -> None:
        """Too far behind: end this connection; the browser reconnects and replays from the stream."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_DROP)

    async def pump(self) -> None:
        """Send queued live messages until cancelled, dropped or the transport fails."""
        while True:
            message = await self.queue.get()
            if message is _DROP:
                raise ConnectionDropped(self.agent)
            await self.deliver(message)


class Notifier:
    def __init__(self, redis, maxlen: int = 500):
        self.redis = redis
        self.maxlen = maxlen
        self.connections: dict[str, set[Connection]] = defaultdict(set)

    async def publish(self, agent: str, message: dict) -> dict:
        """Record the message in the agent's stream, then push it to that agent's open connections."""
        message = {**message, "agent": agent, "sent_at": round(time.time(), 3)}
        payload = json.dumps(message, ensure_ascii=False)
        message["id"] = await self.redis.xadd(stream_key(agent), {"data": payload},
                                              maxlen=self.maxlen, approximate=True)
        self.push_live(agent, message)
        return message

    def push_live(self, agent: str, message: dict) -> None:
        """Push without recording (member-state snapshots: only the current one matters)."""
        for conn in list(self.connections.get(agent, ())):
            if not conn.offer(message):
                log_event(log, "agent connection too slow, dropping it", level=logging.WARNING, agent=agent)
                self.connections[agent].discard(conn)
                conn.drop()

    async def replay(self, agent: str, last_id: str | None, count: int = 500) -> list[dict]:
        """Messages after `last_id`, oldest first; a first connection (no id) gets the most recent few."""
        entries = None
        if last_id:
            try:
                entries = await self.redis.xrange(stream_key(agent), min=f"({last_id}", max="+", count=count)
            except Exception as exc:  # a malformed id from a browser must not break the socket
                log_event(log, "bad replay id", level=logging.WARNING, agent=agent, error=str(exc)[:120])
        if entries is None:
            entries = list(reversed(await self.redis.xrevrange(stream_key(agent), count=FIRST_CONNECT_REPLAY)))
        return [{**json.loads(fields["data"]), "id": entry_id} for entry_id, fields in entries]

    def register(self, conn: Connection) -> None:
        self.connections[conn.agent].add(conn)

    def unregister(self, conn: Connection) -> None:
        conns = self.connections.get(conn.agent)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                self.connections.pop(conn.agent, None)

    async def attach(self, conn: Connection, last_id: str | None, hello: dict | None = None) -> None:
        """Serve one connection: register, replay what it missed, then stream live messages."""
        self.register(conn)
        try:
            if hello:
                await conn.deliver(hello)
            for message in await self.replay(conn.agent, last_id):
                await conn.deliver(message)
            await conn.pump()
        finally:
            self.unregister(conn)

    def connected_agents(self) -> list[str]:
        return sorted(a for a, conns in self.connections.items() if conns)
