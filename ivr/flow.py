"""One call through the hotline: answer within the ring time, menu, description, draft ticket, queue."""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from hotline.core.config import Settings
from hotline.core.lines import FALLBACK_LINE, LineCatalogue
from hotline.core.logging import log_event, mask_number
from ivr import prompts
from ivr.answer_timing import AnswerTiming
from ivr.intake import Intake
from ivr.journal import Journal, SpooledJournal, new_call_id
from ivr.menu_runner import run_menu
from ivr.menus.schema import MenuTree, QueueAction, TransferAction
from ivr.menus.store import MenuStore
from ivr.ports import OpeningHours, OverflowPolicy, TicketOpener, always_open
from ivr.spool import REDIS_AWAY, Spool
from ivr.transfer import MenuTransfer, returning
from telephony.agi import AgiHangup
from telephony.agi_channel import AgiChannel

log = logging.getLogger("ivr.flow")



HANGUP_EVENT_GRACE_SECONDS = 3.0   # how long a Hangup event may trail AsyncAGIEnd (Asterisk's queue, busy hour)


def arrival_time(env: dict, picked_up_at: float) -> float:
    """When the INVITE reached Asterisk: the dialplan passes its own stamp as the AGI argument."""
    try:
        arrived = float(env.get("agi_arg_1") or "")
    except ValueError:
        return picked_up_at
    return arrived if 0 < picked_up_at - arrived < 3600 else picked_up_at


def caller_number(callerid: str | None) -> str:
    """Asterisk says 'unknown' or 'anonymous' when no number came with the call: that is no number at all."""
    number = (callerid or "").strip()
    return number if re.fullmatch(r"\+?[0-9]{3,20}", number) else ""


def spool_path(settings: Settings):
    return settings.state_dir / "spool" / "calls.jsonl"


@dataclass
class CallFlow:
    settings: Settings
    redis: object
    journal: Journal | SpooledJournal
    menus: MenuStore
    open_ticket: TicketOpener
    overflow_action: OverflowPolicy
    spool: Spool | None = None    # writes wait here while Redis is away (default: in the state dir)
    lines: LineCatalogue | None = None   # the partners of menu action `transfer` (none: the caller stays)
    is_open: OpeningHours = always_open   # opening hours, checked when the caller picks a line
    _menu: tuple[int, MenuTree] | None = field(default=None, init=False, repr=False)
    active_calls: set[str] = field(default_factory=set, init=False, repr=False)   # call ids in the flow now

    def __post_init__(self) -> None:
        self.spool = self.spool or Spool(spool_path(self.settings))
        assert isinstance(self.journal, Journal), "CallFlow wraps the journal in the spool itself"
        self.intake = Intake(self.redis, self.journal, self.spool, self.open_ticket)
        self.journal = SpooledJournal(self.journal, self.spool)
        self.transfers = MenuTransfer(self, self.lines)
        self.answer_timing = AnswerTiming(self.settings.ring_seconds)   # fed Newstate events by the feature

    async def load_menu(self) -> tuple[int, MenuTree]:
        self._menu = await self.menus.active_or_publish(self.settings.menus_file)
        return self._menu

    async def _active_menu(self) -> tuple[int, MenuTree]:
        """The active menu; the last one seen while Redis is away (callers still get the menu)."""
        try:
            await self.load_menu()
        except REDIS_AWAY:
            if self._menu is None:
                raise
            log_event(log, "Redis away: using the last active menu", logging.WARNING, version=self._menu[0])
        assert self._menu is not None
        return self._menu

    async def handle(self, channel: AgiChannel, env: dict, picked_up_at: float) -> None:
        if returning(env):   # back from a partner that did not answer (ivr/transfer.py)
            return await self.transfers.resume(channel, env)
        arrived_at = arrival_time(env, picked_up_at)
        call_id = new_call_id(arrived_at)
        caller = caller_number(env.get("agi_callerid"))
        fields: dict[str, Any] = {"call_id": call_id, "caller": mask_number(caller)}
        stage = "pickup"
        writes: list[asyncio.Future] = []   # journal writes the caller does not wait for; awaited at the end
        self.active_calls.add(call_id)
        try:
            # first, before any Redis read: the pickup watchdog (1.5 s after the INVITE) becomes a lease, so a
            # call this flow never queues still reaches a person
            answered = asyncio.ensure_future(self._answer_after_ring(channel, call_id, arrived_at))
            answered.add_done_callback(lambda done: done.cancelled() or done.exception())  # raised when awaited
            version, tree = await self._active_menu()
            await self.journal.open(call_id, caller=caller, channel=channel.channel, started_at=arrived_at,
                                    picked_up_at=picked_up_at, menu_version=version,
                                    uniqueid=env.get("agi_uniqueid"))
            stage = "answer"
            await answered
            stage = "menu"
            note = self._noter(call_id, writes)
            action = await run_menu(tree, channel, self._sound, note)
            draft = {"call_id": call_id, "caller": caller, "route": action.queue, "menu_version": version,
                     "started_at": arrived_at, "recording_path": None}
            if isinstance(action, TransferAction):
                stage = "transfer"
                if await self.transfers.start(channel, call_id, action, draft):
                    return
                action = QueueAction(action="queue", queue=action.queue, record=action.record)
            queue, closed = await self._apply_hours(channel, action.queue, note)
            if closed is None:
                queue = await self._apply_overflow(channel, call_id, queue)
            # not awaited here: the next prompt need not wait for Redis (settled before the call leaves the flow)
            writes.append(asyncio.ensure_future(self.journal.update(call_id, route=queue)))
            draft["route"] = queue
            callback = bool(closed and closed.get("callback"))   # closed line: the caller leaves a description
            if closed is not None:
                draft["after_hours"] = {"line": action.queue, "callback": callback}
            recording = None
            if action.record or callback:
                stage = "recording"
                recording = await self._record_description(channel, call_id, tree, note)
            if recording is None:  # the ticket says so at once, instead of a transcript "pending" forever
                draft["no_recording"] = "caller skipped the description" if action.record else "menu asks for none"
            ticket_id = await self._open_ticket(draft, recording)
            if recording and recording["ended_by"] == "hangup":  # what was said is kept and transcribed
                raise AgiHangup(channel.channel)
            if callback:
                await self._end_for_callback(channel, call_id, ticket_id)
                return
            stage = "queue"
            await self._queue(channel, queue, ticket_id, note)
            log_event(log, "call routed", route=queue, menu_version=version, **fields)
        except AgiHangup:
            # not the caller when no Hangup follows: the dialplan took the call (pickup watchdog, lease) and
            # journals it itself; "caller_hangup" here would be false
            if not await channel.hung_up_within(HANGUP_EVENT_GRACE_SECONDS):
                await self.journal.record(call_id, "left_to_dialplan", stage=stage)
                log_event(log, "call left the flow to the dialplan", logging.WARNING, stage=stage, **fields)
                return
            await self.journal.record(call_id, "caller_hangup", stage=stage)
            await self.journal.update(call_id, hangup_stage=stage)
            log_event(log, "caller hung up in flow", stage=stage, **fields)
        except Exception as exc:  # never leave a caller stuck: hand the call to the dialplan's general line
            log_event(log, "call flow failed, releasing to general", logging.ERROR, stage=stage,
                      error=repr(exc), **fields)
            await self._release_to_general(channel, call_id)
        finally:
            await self._settle(writes, fields)
            await self.intake.written(call_id)
            self.answer_timing.forget(call_id)
            self.active_calls.discard(call_id)

    def _sound(self, name: str) -> str:
        return prompts.agi_path(self.settings, name)

    def _noter(self, call_id: str, writes: list):
        """The menu's journal entries are written while the next prompt already plays: a caller's early key
        ('#' right after the choice) is lost if the prompt starts late (docs/performance.md, capacity)."""
        async def note(event: str, **fields) -> None:
            writes.append(asyncio.ensure_future(self.journal.record(call_id, event, at=time.time(), **fields)))
        return note

    async def _settle(self, writes: list, fields: dict) -> None:
        """Through the spool like every journal write (kept while Redis is away); anything else is logged."""
        for outcome in await asyncio.gather(*writes, return_exceptions=True):
            if isinstance(outcome, Exception):
                log_event(log, "journal write failed", logging.ERROR, error=repr(outcome), **fields)

    async def _answer_after_ring(self, channel: AgiChannel, call_id: str, arrived_at: float) -> None:
        """Lease, call id, the rest of the ring time and the answer in one AGI batch: Asterisk answers on time
        without waiting for a round trip through AMI, whose events run late at a busy hour (docs/performance.md).
        The ring is shortened by Asterisk's recent lateness (ivr/answer_timing.py). The journal's answer time
        comes from the channel's Newstate(Up) event (ivr.events)."""
        await channel.answer_after(self.answer_timing.ring_for(call_id, arrived_at),
                                   {"TIMEOUT(absolute)": self.settings.call_flow_lease_seconds,
                                    "HOTLINE_CALL_ID": call_id})   # the menu version is in the journal

    async def _apply_overflow(self, channel: AgiChannel, call_id: str, queue: str) -> str:
        """While the line is overloaded: send the caller to another line, or tell them and keep them here."""
        action = await self.overflow_action(queue) or {}
        if action.get("action") == "route" and action.get("queue"):
            await self.journal.record(call_id, "overflow", from_queue=queue, to_queue=action["queue"])
            return action["queue"]
        if action.get("action") == "announce" and action.get("prompt"):
            played = await channel.play_through(self._sound(action["prompt"]))
            await self.journal.record(call_id, "overflow_announce", queue=queue, prompt=action["prompt"],
                                      played_seconds=played)
        return queue

    async def _apply_hours(self, channel: AgiChannel, queue: str, note) -> tuple[str, dict | None]:
        """The line's opening hours at the key press: open → (queue, None); closed → its prompt, then the
        fallback line (or the same line's ticket, for a call-back). Noted after the key, like the menu's events."""
        is_open, fallback = self.is_open(queue, time.time())
        if is_open:
            return queue, None
        closed = fallback or {"queue": FALLBACK_LINE}
        target = closed.get("queue") or queue
        await note("after_hours", queue=queue, to_queue=target, callback=bool(closed.get("callback")),
                   reason=closed.get("reason", ""), prompt=closed.get("prompt"))
        if closed.get("prompt"):
            await channel.play(self._sound(closed["prompt"]))
        return target, closed

    async def _end_for_callback(self, channel: AgiChannel, call_id: str, ticket_id: str | None) -> None:
        await self.journal.record(call_id, "callback_requested", ticket_id=ticket_id)
        await channel.play(self._sound("goodbye"))
        await channel.command("HANGUP")

    async def _record_description(self, channel: AgiChannel, call_id: str, tree: MenuTree, note) -> dict | None:
        if await channel.play(self._sound(tree.record_prompt), "*#"):   # also a '#' typed ahead (AgiChannel)
            await note("recording_skipped")   # written while the ticket is opened
            return None
        path = str(self.settings.pbx_instance_dir / "recordings" / call_id)
        await self.journal.record(call_id, "recording_started")
        try:
            result = await channel.record(path, max_seconds=tree.record_max_seconds,
                                          silence_seconds=tree.record_silence_seconds)
            ended_by, seconds = result.ended_by, result.seconds
        except AgiHangup:
            ended_by, seconds = "hangup", None
        recording: dict[str, Any] = {"path": str(self.settings.host_path(path + ".wav")), "ended_by": ended_by,
                                     "seconds": seconds}
        await self.journal.note(call_id, "recording", fields=recording,
                                summary={"recording_path": recording["path"], "recording_seconds": seconds})
        return recording

    async def _open_ticket(self, draft: dict, recording: dict | None) -> str | None:
        """Draft ticket first, then the ASR job (spooled in that order), so the worker always finds the ticket."""
        if recording:
            draft = {**draft, "recording_path": recording["path"]}
        ticket_id = await self.intake.ticket(draft)
        if recording:
            await self.intake.asr_job(draft["call_id"], recording["path"], draft["caller"], draft["route"])
        return ticket_id

    async def _queue(self, channel: AgiChannel, queue: str, ticket_id: str | None, note) -> None:
        # one AGI batch, variables and release: each costs up to 100 ms of AsyncAGI polling (docs/performance.md)
        variables = {"HOTLINE_QUEUE": queue}   # [hotline-queue] sets HOTLINE_ROUTE itself
        if ticket_id:   # None while the draft waits in the spool
            variables = {"HOTLINE_TICKET_ID": ticket_id, **variables}
        await note("route", queue=queue, ticket_id=ticket_id)   # written while the caller goes to the queue
        await channel.release_with(variables)

    async def _release_to_general(self, channel: AgiChannel, call_id: str) -> None:
        try:
            await channel.release_with({"HOTLINE_QUEUE": FALLBACK_LINE})
            await self.journal.record(call_id, "released", queue=FALLBACK_LINE)
        except Exception:  # the channel is gone or AMI is down: the dialplan watchdog/fallback takes over
            pass
