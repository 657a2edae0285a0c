"""Agents feature: queue membership, screen-pop and its notifier; `start()` wires them to AMI/Redis.

Built by the composition root (hotline/runtime.py); routes reach it through hotline.api.deps.
"""
from __future__ import annotations

import asyncio
import logging

from hotline.agents.membership import MEMBER_EVENTS, Membership
from hotline.agents.notifier import Notifier
from hotline.agents.screenpop import ScreenPop
from hotline.auth.service import get_directory
from hotline.core import keys
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event
from hotline.core.webhooks import WebhookSender

log = logging.getLogger("hotline.agents.service")
TICKET_EVENTS = keys.TICKET_EVENTS.pattern
TICKET_CURSOR_KEY = keys.TICKET_EVENTS_CURSOR.pattern  # resume after a controller restart
CALL_EVENTS = ("AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "QueueCallerAbandon")


class AgentsFeature:
    def __init__(self, redis, ami, lines: LineCatalogue, spawn=None, hints=None):
        directory = get_directory()
        self.redis = redis
        self.ami = ami
        self.lines = lines
        self.spawn = spawn
        self.notifier = Notifier(redis, maxlen=directory.screenpop_stream_maxlen)
        self.webhooks = WebhookSender(directory.webhooks, name="agents")
        self.screenpop = ScreenPop(redis, ami, self.notifier, get_directory, self.webhooks, lines=lines, hints=hints)
        self.membership = Membership(ami, get_directory, self._state_changed, lines)

    def _state_changed(self, endpoint: str, state: dict) -> None:
        self.notifier.push_live(endpoint, {"type": "state", "state": state})

    async def on_call_event(self, msg) -> None:
        handler = {"AgentCalled": self.screenpop.on_agent_called,
                   "AgentConnect": self.screenpop.on_agent_connect,
                   "QueueCallerAbandon": self.screenpop.on_caller_abandon}.get(msg.name, self.screenpop.on_agent_ended)
        try:
            await handler(msg)
        except Exception:  # one bad event must not stop the pops that follow
            log.exception("screen-pop handler failed", extra={"fields": {"event": msg.name}})

    async def start(self) -> None:
        self.ami.on_event(CALL_EVENTS, self.on_call_event)
        self.ami.on_event(MEMBER_EVENTS, self.membership.on_member_event)
        self.ami.on_connect(self.resync)
        self.spawn(self.consume_ticket_events(), "agents-ticket-events")
        log_event(log, "agents feature started", agents=len(get_directory().agents()))

    async def stop(self) -> None:
        await self.webhooks.close()

    async def resync(self) -> None:
        try:
            await self.membership.resync()
        except Exception as exc:
            log_event(log, "queue membership re-read failed", level=logging.WARNING, error=str(exc)[:160])

    async def consume_ticket_events(self, block_ms: int = 2000) -> None:
        # redis-py 8 clients time out a read after 5 s: a blocking XREAD must return well before that
        cursor = await self.redis.get(TICKET_CURSOR_KEY) or "$"
        while True:
            try:
                batches = await self.redis.xread({TICKET_EVENTS: cursor}, block=block_ms, count=100)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restart: wait and carry on from the same cursor
                log_event(log, "ticket-events read failed", level=logging.WARNING, error=str(exc)[:160])
                await asyncio.sleep(1)
                continue
            for _stream, entries in batches or ():
                for entry_id, fields in entries:
                    await self._ticket_event(fields)
                    cursor = entry_id
                await self.redis.set(TICKET_CURSOR_KEY, cursor)

    async def _ticket_event(self, fields: dict) -> None:
        try:
            await self.screenpop.on_ticket_event(fields)
        except Exception:
            log.exception("ticket event handling failed", extra={"fields": {"ticket_id": fields.get("ticket_id")}})
