"""Queue events -> messages for the one agent they concern (ringing, pop, update, ended)."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable
from typing import Callable

from hotline.agents import calls
from hotline.agents.notifier import Notifier
from hotline.auth.users import Directory
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event, mask_number

log = logging.getLogger("hotline.agents.screenpop")
Hints = Callable[[dict, dict], Awaitable[list[dict]]]   # (ticket, call) -> knowledge-base hints


def is_callback(msg) -> bool:
    """The queue entry is a call-back's placeholder (hotline/callback), not a caller on the line."""
    return bool(msg.chanvars.get("HOTLINE_CALLBACK_ATTEMPT"))


class ScreenPop:
    def __init__(self, redis, ami, notifier: Notifier, directory: Callable[[], Directory], webhooks=None, *,
                 lines: LineCatalogue, hints: Hints | None = None):
        self.redis = redis
        self.lines = lines
        self.ami = ami
        self.notifier = notifier
        self.directory = directory
        self.webhooks = webhooks
        self.ringing: dict[str, set[str]] = defaultdict(set)  # call_id -> agents whose phone rings for it
        self.hints = hints

    async def _hints(self, ticket: dict | None, call: dict) -> list[dict]:
        """Knowledge-base hints for the pop; a failing knowledge base never holds up or breaks the pop."""
        if self.hints is None or not ticket:
            return []
        try:
            return await self.hints(ticket, call)
        except Exception as exc:
            log_event(log, "kb hints failed", level=logging.WARNING, error=repr(exc))
            return []

    async def _call_id(self, msg) -> str | None:
        return calls.call_id_from_event(msg) or await calls.call_id_via_getvar(self.ami, msg.get("Channel"))

    async def _context(self, msg, call_id: str | None) -> tuple[dict, dict | None, str | None]:
        stored = await calls.read_call(self.redis, call_id)
        call = calls.call_summary(self.lines, call_id, stored, msg)
        ticket_id = await calls.ticket_id_for_call(self.redis, call_id)
        return call, await calls.load_ticket(self.redis, ticket_id), ticket_id

    async def on_agent_called(self, msg) -> None:
        user = calls.agent_for_event(msg, self.directory())
        if user is None:
            return
        call_id = await self._call_id(msg)
        call, ticket, _ = await self._context(msg, call_id)
        if call_id:
            self.ringing[call_id].add(user.endpoint)
        await self.notifier.publish(user.endpoint, {"type": "ringing", "call": call, "ticket": ticket})

    async def on_agent_connect(self, msg) -> None:
        """The queue bridged caller and agent: pop the call, its draft ticket and the caller's history."""
        seen_at = time.time()
        user = calls.agent_for_event(msg, self.directory())
        if user is None:
            log_event(log, "AgentConnect for an endpoint no console user owns", level=logging.WARNING,
                      interface=msg.get("Interface"))
            return
        call_id = await self._call_id(msg)
        if call_id:  # before reading the ticket: a ticket change from now on is routed to this agent
            await calls.hold(self.redis, call_id, user.endpoint)
            await calls.add_handler(self.redis, call_id, user.endpoint)
        call, ticket, ticket_id = await self._context(msg, call_id)
        call["callback"] = is_callback(msg)   # 预约回拨: the caller is being called back (console badge 回拨)
        for other in sorted(self.ringing.pop(call_id, set()) - {user.endpoint}) if call_id else ():
            await self.notifier.publish(other, {"type": "ended", "reason": "answered_elsewhere",
                                                "call": {"call_id": call_id}})
        previous = await calls.previous_tickets(self.redis, call.get("caller"), ticket_id)
        message = await self.notifier.publish(user.endpoint, {
            "type": "pop", "call": call, "ticket": ticket, "previous_tickets": previous, "callback": call["callback"],
            "hints": await self._hints(ticket, call), "agent_connect_at": round(seen_at, 3)})
        log_event(log, "screen pop", agent=user.endpoint, call_id=call_id, ticket_id=ticket_id,
                  caller=mask_number(call.get("caller")), pop_ms=round((time.time() - seen_at) * 1000, 1))
        self._webhook("screen_pop", message)

    async def on_agent_ended(self, msg) -> None:
        """AgentComplete (call over) or AgentRingNoAnswer (the ring went elsewhere)."""
        user = calls.agent_for_event(msg, self.directory())
        if user is None:
            return
        call_id = calls.call_id_from_event(msg)
        stored = await calls.read_call(self.redis, call_id)
        reason = "no_answer" if msg.name == "AgentRingNoAnswer" else (msg.get("Reason") or "completed")
        if call_id:
            self.ringing.get(call_id, set()).discard(user.endpoint)
        await self.notifier.publish(user.endpoint, {"type": "ended", "reason": reason,
                                                    "call": calls.call_summary(self.lines, call_id, stored, msg)})

    async def on_caller_abandon(self, msg) -> None:
        """The caller hung up while phones rang: tell the agents who saw the ringing banner."""
        call_id = calls.call_id_from_event(msg)
        agents = self.ringing.pop(call_id, set()) if call_id else set()
        if not agents:
            return
        call = calls.call_summary(self.lines, call_id, await calls.read_call(self.redis, call_id), msg)
        for agent in sorted(agents):
            await self.notifier.publish(agent, {"type": "ended", "reason": "abandoned", "call": call})

    async def on_ticket_event(self, fields: dict) -> None:
        """A ticket changed (ASR finished, edit, submit): refresh it on the agent who holds its call."""
        call_id, ticket_id = fields.get("call_id"), fields.get("ticket_id")
        # the holder first: most events (a draft opened in the menu) find no agent yet, and load no ticket
        agent = await calls.holder_of(self.redis, call_id) if call_id else None
        if call_id and not agent:
            return
        ticket = await calls.load_ticket(self.redis, ticket_id)
        if not call_id:
            call_id = (ticket or {}).get("call_id")
            agent = await calls.holder_of(self.redis, call_id) if call_id else None
        if not agent:
            return  # the call has not reached an agent yet; the pop will carry the ticket
        update = {"type": "update", "kind": fields.get("kind"), "call": {"call_id": call_id}, "ticket": ticket}
        if fields.get("kind") == "transcribed":   # what the caller said is known now: better hints
            update["hints"] = await self._hints(ticket, {"call_id": call_id})
        message = await self.notifier.publish(agent, update)
        if fields.get("kind") == "submitted":
            self._webhook("ticket_submitted", message)

    def _webhook(self, event: str, message: dict) -> None:
        """POST the message as a WebhookEvent (hotline.agents.events) to users.yaml `webhooks.urls`."""
        if self.webhooks and self.webhooks.enabled:
            self.webhooks.submit({"event": event, "at": round(time.time(), 3), **message}, event=event)
