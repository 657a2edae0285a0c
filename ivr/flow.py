"""One call through the hotline: answer within the ring time, menu, description, draft ticket, queue."""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from hotline.core.config import Settings
from hotline.core.logging import log_event, mask_number
from ivr import prompts
from ivr.journal import Journal, new_call_id
from ivr.menu_runner import run_menu
from ivr.menus.schema import MenuTree, QueueAction
from ivr.menus.store import DEFAULT_MENU, MenuStore
from telephony.agi import AgiHangup
from telephony.agi_channel import AgiChannel

log = logging.getLogger("ivr.flow")
RECORDINGS_STREAM = "hotline:recordings"
RECORDINGS_STREAM_MAXLEN = 100_000

OpenTicket = Callable[[object, dict], Awaitable[dict]]  # (redis, call) -> ticket
OverflowAction = Callable[[object, str], Awaitable[dict | None]]  # (redis, queue) -> action


def caller_number(callerid: str | None) -> str:
    """Asterisk says 'unknown' or 'anonymous' when no number came with the call: that is no number at all."""
    number = (callerid or "").strip()
    return number if re.fullmatch(r"\+?[0-9]{3,20}", number) else ""


@dataclass
class CallFlow:
    settings: Settings
    redis: object
    journal: Journal
    menus: MenuStore
    open_ticket: OpenTicket
    overflow_action: OverflowAction

    async def handle(self, channel: AgiChannel, env: dict, arrived_at: float) -> None:
        call_id = new_call_id(arrived_at)
        caller = caller_number(env.get("agi_callerid"))
        fields = {"call_id": call_id, "caller": mask_number(caller)}
        stage = "pickup"
        try:
            version, tree = await self.menus.active_or_publish(DEFAULT_MENU)
            # one AGI command: each costs up to 100 ms of AsyncAGI polling before the answer
            # the pickup watchdog becomes a lease: a call this flow never queues still reaches a person
            await channel.set_variables({"TIMEOUT(absolute)": self.settings.call_flow_lease_seconds,
                                         "HOTLINE_CALL_ID": call_id, "HOTLINE_MENU_VERSION": version})
            await self.journal.open(call_id, caller=caller, channel=channel.channel, started_at=arrived_at,
                                    menu_version=version, uniqueid=env.get("agi_uniqueid"))
            stage = "answer"
            await self._answer_after_ring(channel, call_id, arrived_at)
            stage = "menu"
            action = await run_menu(tree, channel, self._sound, self._noter(call_id))
            queue = await self._apply_overflow(call_id, action.queue)
            await self.journal.update(call_id, route=queue)
            draft = {"call_id": call_id, "caller": caller, "route": queue, "menu_version": version,
                     "started_at": arrived_at, "recording_path": None}
            recording = None
            if action.record:
                stage = "recording"
                recording = await self._record_description(channel, call_id, tree)
            if recording is None:  # the ticket says so at once, instead of a transcript "pending" forever
                draft["no_recording"] = "caller skipped the description" if action.record else "menu asks for none"
            ticket_id = await self._open_ticket(draft, recording)
            if recording and recording["ended_by"] == "hangup":  # what was said is kept and transcribed
                raise AgiHangup(channel.channel)
            stage = "queue"
            await self._queue(channel, call_id, queue, ticket_id)
            log_event(log, "call routed", route=queue, menu_version=version, **fields)
        except AgiHangup:
            await self.journal.record(call_id, "caller_hangup", stage=stage)
            await self.journal.update(call_id, hangup_stage=stage)
            log_event(log, "caller hung up in flow", stage=stage, **fields)
        except Exception as exc:  # never leave a caller stuck: hand the call to the dialplan's general line
            log_event(log, "call flow failed, releasing to general", logging.ERROR, stage=stage,
                      error=repr(exc), **fields)
            await self._release_to_general(channel, call_id)

    def _sound(self, name: str) -> str:
        return prompts.agi_path(self.settings, name)

    def _noter(self, call_id: str):
        async def note(event: str, **fields) -> None:
            await self.journal.record(call_id, event, **fields)
        return note

    async def _answer_after_ring(self, channel: AgiChannel, call_id: str, arrived_at: float) -> None:
        """The journal's answer time comes from the channel's Newstate(Up) event (ivr.events)."""
        await asyncio.sleep(max(0.0, self.settings.ring_seconds - (time.time() - arrived_at)))
        await channel.answer()

    async def _apply_overflow(self, call_id: str, queue: str) -> str:
        action = await self.overflow_action(self.redis, queue)
        if action and action.get("action") == "route" and action.get("queue"):
            await self.journal.record(call_id, "overflow", from_queue=queue, to_queue=action["queue"])
            return action["queue"]
        return queue

    async def _record_description(self, channel: AgiChannel, call_id: str, tree: MenuTree) -> dict | None:
        if await channel.play(self._sound(tree.record_prompt), "*#"):
            await self.journal.record(call_id, "recording_skipped")
            return None
        path = str(self.settings.pbx_instance_dir / "recordings" / call_id)
        await self.journal.record(call_id, "recording_started")
        try:
            result = await channel.record(path, max_seconds=tree.record_max_seconds,
                                          silence_seconds=tree.record_silence_seconds)
            ended_by, seconds = result.ended_by, result.seconds
        except AgiHangup:
            ended_by, seconds = "hangup", None
        recording = {"path": str(self.settings.host_path(path + ".wav")), "ended_by": ended_by, "seconds": seconds}
        await self.journal.record(call_id, "recording", **recording)
        await self.journal.update(call_id, recording_path=recording["path"], recording_seconds=seconds)
        return recording

    async def _open_ticket(self, draft: dict, recording: dict | None) -> str:
        """Draft ticket first, then the ASR job, so the worker always finds the ticket it fills."""
        call_id = draft["call_id"]
        if recording:
            draft = {**draft, "recording_path": recording["path"]}
        ticket = await self.open_ticket(self.redis, draft)
        await self.journal.update(call_id, ticket_id=ticket["id"])
        if recording:
            job = {"call_id": call_id, "path": recording["path"], "caller": draft["caller"],
                   "route": draft["route"], "recorded_at": str(time.time())}
            await self.redis.xadd(RECORDINGS_STREAM, job, maxlen=RECORDINGS_STREAM_MAXLEN, approximate=True)
            await self.journal.record(call_id, "asr_job_published")
        return ticket["id"]

    async def _queue(self, channel: AgiChannel, call_id: str, queue: str, ticket_id: str) -> None:
        # one AGI command, not three: each costs up to 100 ms of AsyncAGI polling (docs/performance.md)
        await channel.set_variables({"HOTLINE_TICKET_ID": ticket_id, "HOTLINE_ROUTE": queue, "HOTLINE_QUEUE": queue})
        await self.journal.record(call_id, "route", queue=queue, ticket_id=ticket_id)
        await channel.release()

    async def _release_to_general(self, channel: AgiChannel, call_id: str) -> None:
        try:
            await channel.set_variable("HOTLINE_QUEUE", "general")
            await channel.release()
            await self.journal.record(call_id, "released", queue="general")
        except Exception:  # the channel is gone or AMI is down: the dialplan watchdog/fallback takes over
            pass
