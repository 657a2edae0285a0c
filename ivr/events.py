"""AMI event consumers that complete each call's journal: queue join, agent, abandon, hang-up."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque

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


log = logging.getLogger("ivr.events")
KNOWN_MEMORY = 20_000     # call ids whose journal was seen; a busy node has a few thousand calls up at once
# the flow opens the journal while the caller rings; at a busy hour (or a first call) the answer can come first
ANSWER_BEFORE_JOURNAL_RETRIES, ANSWER_RETRY_SECONDS = 4, 0.5
SHARDS = 8                # journal writers side by side; one call's events always go to the same one, in order


class JournalConsumer:
    """One Redis round trip per event (timeline entry and summary fields in one pipeline); whether the call has a
    journal is asked once per call, then remembered (a journal is never deleted while its call is up).
    Events are written by SHARDS workers, a call's events by one of them in arrival order: one ordered queue
    for all calls fell seconds behind at 400 concurrent calls, each event waiting for the one before."""
    EVENTS = ("Newstate", "QueueCallerJoin", "AgentCalled", "AgentConnect", "QueueCallerAbandon", "Hangup")

    def __init__(self, journal: Journal | SpooledJournal) -> None:
        self.journal = journal
        self._known: OrderedDict[str, None] = OrderedDict()
        self._shards: list[deque] = [deque() for _ in range(SHARDS)]
        self._workers: set[asyncio.Task] = set()
        self._draining: set[int] = set()

    def register(self, ami) -> None:
        ami.on_event(self.EVENTS, self.route)

    def route(self, event) -> None:
        """Runs in the AMI reader's order; a shard's worker lives while its queue has events."""
        call_id = call_id_of(event)
        if call_id is None or (event.name == "Newstate" and event.get("ChannelState") != "6"):
            return   # not ours, or not the answer (ringing): nothing to write, no worker woken for it
        index = hash(call_id) % SHARDS
        self._shards[index].append(event)
        if index not in self._draining:
            self._draining.add(index)
            worker = asyncio.create_task(self._drain(index), name=f"journal-shard-{index}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def _drain(self, index: int) -> None:
        shard = self._shards[index]
        try:
            while shard:
                event = shard.popleft()
                try:
                    await self.handle(event)
                except Exception:
                    log.exception("journal event failed", extra={"fields": {"event": event.name}})
        finally:
            self._draining.discard(index)

    async def handle(self, event) -> None:
        call_id = call_id_of(event)
        if call_id is None:
            return
        if event.name in ("Newstate", "Hangup") and _callback_leg(event):
            return   # a call-back's placeholder (hotline/callback journals it): not the caller's answer or hang-up
        if event.name == "Newstate":        # reads the journal anyway: that read tells whether it exists
            await self.on_Newstate(call_id, event)
        elif await self._is_known(call_id):
            handler = getattr(self, f"on_{event.name}", None)
            if handler:
                await handler(call_id, event)

    async def _is_known(self, call_id: str) -> bool:
        if call_id in self._known:
            return True
        try:
            if not await self.journal.exists(call_id):
                return False
        except REDIS_AWAY:      # ours (it carries our call id): the writes wait in the spool
            return True
        self._remember(call_id)
        return True

    def _remember(self, call_id: str) -> None:
        self._known[call_id] = None
        if len(self._known) > KNOWN_MEMORY:
            self._known.popitem(last=False)

    async def on_Newstate(self, call_id: str, event) -> None:
        """State 6 (Up) is the moment Asterisk sent 200 OK: the caller hears the hotline answer."""
        if event.get("ChannelState") != "6":
            return
        answered = event_time(event)
        try:
            started = await self.journal.started_at(call_id)
            if started is None:                 # no journal: not a call of ours, or not yet (asked again, aside)
                task = asyncio.create_task(self._answered_later(call_id, answered), name="answer before journal")
                self._workers.add(task)
                task.add_done_callback(self._workers.discard)
                return
            self._remember(call_id)
        except REDIS_AWAY:
            started = None
        await self._note_answer(call_id, answered, started)

    async def _answered_later(self, call_id: str, answered: float) -> None:
        for _ in range(ANSWER_BEFORE_JOURNAL_RETRIES):
            await asyncio.sleep(ANSWER_RETRY_SECONDS)
            try:
                started = await self.journal.started_at(call_id)
            except REDIS_AWAY:
                return
            if started is not None:
                self._remember(call_id)
                await self._note_answer(call_id, answered, started)
                return

    async def _note_answer(self, call_id: str, answered: float, started: float | None) -> None:
        delay = round(answered - started, 3) if started is not None else None
        await self.journal.note(call_id, "answer", at=answered, fields={"invite_to_answer_seconds": delay},
                                summary={"answered_at": answered, "invite_to_answer_seconds": delay})

    async def on_QueueCallerJoin(self, call_id: str, event) -> None:
        """The line the call really reached ([hotline-queue] sets HOTLINE_ROUTE), whatever the menu chose."""
        now = event_time(event)
        queue = event.get("Queue")
        line = (getattr(event, "chanvars", None) or {}).get("HOTLINE_ROUTE") or None
        await self.journal.note(call_id, "queue_join", at=now,
                                fields={"queue": queue, "position": event.get("Position")},
                                summary={"queue": queue, "queue_joined_at": now, **({"route": line} if line else {})})

    async def on_AgentCalled(self, call_id: str, event) -> None:
        await self.journal.note(call_id, "agent_ringing", fields={"agent": agent_of(event)})

    async def on_AgentConnect(self, call_id: str, event) -> None:
        now, agent = event_time(event), agent_of(event)
        hold = event.get("HoldTime")
        await self.journal.note(call_id, "agent_connect", at=now, fields={"agent": agent, "hold_seconds": hold},
                                summary={"agent": agent, "agent_connected_at": now,
                                         "wait_seconds": int(hold) if hold and hold.isdigit() else None})

    async def on_QueueCallerAbandon(self, call_id: str, event) -> None:
        await self.journal.note(call_id, "abandoned", fields={"queue": event.get("Queue"),
                                                             "hold_seconds": event.get("HoldTime")},
                                summary={"abandoned": True})

    async def on_Hangup(self, call_id: str, event) -> None:
        now = event_time(event)
        await self.journal.note(call_id, "hangup", at=now,
                                fields={"cause": event.get("Cause-txt") or event.get("Cause")},
                                summary={"ended_at": now})
        self._known.pop(call_id, None)          # the call is over: nothing more to remember
