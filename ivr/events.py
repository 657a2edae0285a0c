"""AMI event consumers that complete each call's journal: queue join, agent, abandon, hang-up."""
from __future__ import annotations

import time

from ivr.journal import Journal, SpooledJournal
from ivr.spool import REDIS_AWAY


def call_id_of(event) -> str | None:
    """Our calls carry HOTLINE_CALL_ID (manager.conf channelvars); other channels are not ours."""
    return (getattr(event, "chanvars", None) or {}).get("HOTLINE_CALL_ID") or None


def _callback_leg(event) -> bool:
    return bool((getattr(event, "chanvars", None) or {}).get("HOTLINE_CALLBACK_ATTEMPT"))


def agent_of(event) -> str:
    """PJSIP/agent1 → agent1 (MemberName may be a display name, Interface is the endpoint)."""
    interface = event.get("Interface") or event.get("DestChannel", "").split("-")[0]
    return interface.split("/", 1)[-1]


def event_time(event) -> float:
    """Asterisk's own stamp (manager.conf timestampevents) beats our queueing delay."""
    try:
        return float(event.get("Timestamp"))
    except (TypeError, ValueError):
        return time.time()


class JournalConsumer:
    EVENTS = ("Newstate", "QueueCallerJoin", "AgentCalled", "AgentConnect", "QueueCallerAbandon", "Hangup")

    def __init__(self, journal: Journal | SpooledJournal) -> None:
        self.journal = journal

    def register(self, ami) -> None:
        ami.on_event(self.EVENTS, self.handle)  # one ordered queue: a call's events are journaled in order

    async def handle(self, event) -> None:
        call_id = call_id_of(event)
        if call_id is None or not await self._known(call_id):
            return
        if event.name in ("Newstate", "Hangup") and _callback_leg(event):
            return   # a call-back's placeholder (hotline/callback journals it): not the caller's answer or hang-up
        handler = getattr(self, f"on_{event.name}", None)
        if handler:
            await handler(call_id, event)

    async def _known(self, call_id: str) -> bool:
        try:
            return await self.journal.exists(call_id)
        except REDIS_AWAY:      # ours (it carries our call id): the writes wait in the spool
            return True

    async def on_Newstate(self, call_id: str, event) -> None:
        """State 6 (Up) is the moment Asterisk sent 200 OK: the caller hears the hotline answer."""
        if event.get("ChannelState") != "6":
            return
        answered = event_time(event)
        try:
            summary = await self.journal.summary(call_id) or {}
        except REDIS_AWAY:
            summary = {}
        delay = round(answered - summary["started_at"], 3) if "started_at" in summary else None
        await self.journal.record(call_id, "answer", at=answered, invite_to_answer_seconds=delay)
        await self.journal.update(call_id, answered_at=answered, invite_to_answer_seconds=delay)

    async def on_QueueCallerJoin(self, call_id: str, event) -> None:
        """The line the call really reached ([hotline-queue] sets HOTLINE_ROUTE), whatever the menu chose."""
        now = time.time()
        queue = event.get("Queue")
        line = (getattr(event, "chanvars", None) or {}).get("HOTLINE_ROUTE") or None
        await self.journal.record(call_id, "queue_join", at=now, queue=queue, position=event.get("Position"))
        await self.journal.update(call_id, queue=queue, queue_joined_at=now, **({"route": line} if line else {}))

    async def on_AgentCalled(self, call_id: str, event) -> None:
        await self.journal.record(call_id, "agent_ringing", agent=agent_of(event))

    async def on_AgentConnect(self, call_id: str, event) -> None:
        now, agent = time.time(), agent_of(event)
        hold = event.get("HoldTime")
        await self.journal.record(call_id, "agent_connect", at=now, agent=agent, hold_seconds=hold)
        await self.journal.update(call_id, agent=agent, agent_connected_at=now,
                                  wait_seconds=int(hold) if hold and hold.isdigit() else None)

    async def on_QueueCallerAbandon(self, call_id: str, event) -> None:
        await self.journal.record(call_id, "abandoned", queue=event.get("Queue"),
                                  hold_seconds=event.get("HoldTime"))
        await self.journal.update(call_id, abandoned=True)

    async def on_Hangup(self, call_id: str, event) -> None:
        now = time.time()
        await self.journal.record(call_id, "hangup", at=now, cause=event.get("Cause-txt") or event.get("Cause"))
        await self.journal.update(call_id, ended_at=now)
