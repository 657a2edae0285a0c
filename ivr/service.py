"""Call-flow feature: AsyncAGI pickup, heartbeat for the dialplan fallback, journal consumers.

Built by the composition root (hotline/runtime.py), which hands it the ticket opener and the overflow policy.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event
from ivr import prompts
from ivr.events import JournalConsumer
from ivr.flow import CallFlow, spool_path
from ivr.journal import Journal, SpooledJournal
from ivr.menus.store import MenuStore
from ivr.ports import OpeningHours, OverflowPolicy, TicketOpener, always_open
from ivr.reconcile import Reconciler
from ivr.spool import Spool
from ivr.transfer import TransferJournal
from telephony.agi import AsyncAgi
from telephony.agi_channel import AgiChannel
from telephony.ami.manager import AmiManager

log = logging.getLogger("ivr.service")
Spawn = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task]


HEARTBEAT_VARIABLE = "HOTLINE_HEARTBEAT"  # an Asterisk global: Setvar needs only the AMI `call` class


async def write_heartbeat(ami, epoch: int | None = None) -> None:
    stamp = int(time.time()) if epoch is None else epoch
    await ami.send_action("Setvar", Variable=HEARTBEAT_VARIABLE, Value=str(stamp))


class CallFlowFeature:
    def __init__(self, settings: Settings, ami: AmiManager, agi: AsyncAgi, redis, spawn: Spawn, *,
                 open_ticket: TicketOpener, overflow: OverflowPolicy, lines: LineCatalogue | None = None,
                 is_open: OpeningHours = always_open) -> None:
        self.settings, self.ami, self.agi, self.spawn = settings, ami, agi, spawn
        self.spool = Spool(spool_path(settings))
        self.menus = MenuStore(redis)
        self.flow = CallFlow(settings, redis, Journal(redis), self.menus, open_ticket, overflow, spool=self.spool,
                             lines=lines, is_open=is_open)
        assert isinstance(self.flow.journal, SpooledJournal)
        self.journal = self.flow.journal   # spooled: the journal consumer and the reconciler write through it too
        self.in_flow: set[str] = set()   # channels this process is walking through the menu
        # AGI(agi:async,<purpose>,...) entered again later in a call (the survey) or by an originated call (回访)
        self.purposes: dict[str, Callable[[AgiChannel, dict], Coroutine[Any, Any, Any]]] = {}
        recordings = settings.host_path(settings.pbx_instance_dir / "recordings")
        self.reconciler = Reconciler(ami, self.journal, self.flow.intake, redis,
                                     recording_path=lambda call_id: recordings / f"{call_id}.wav",
                                     busy=lambda: self.flow.active_calls,
                                     window_seconds=settings.reconcile_window_seconds,
                                     settle_seconds=settings.reconcile_settle_seconds,
                                     interval=settings.reconcile_interval_seconds, node=settings.instance)

    async def start(self) -> None:
        await self.flow.load_menu()     # cached: callers get the menu even if Redis goes away later
        built = await asyncio.to_thread(prompts.build_defaults, self.settings)
        if built:
            log_event(log, "default prompts synthesised", prompts=built)
        self.agi.on_start(self._on_start)
        JournalConsumer(self.journal).register(self.ami)
        TransferJournal(self.journal).register(self.ami)
        self.ami.on_event("Newstate", self.flow.answer_timing.on_newstate)   # the ring's lateness
        self.ami.on_connect(self._on_connect)
        self.spawn(self._heartbeat(), "heartbeat")
        self.spawn(self.spool.replay_forever(), "spool replay")
        self.spawn(self.reconciler.run_forever(), "reconcile")

    async def stop(self) -> None:
        await self.agi.close()

    def on_agi(self, purpose: str, handler: Callable[[AgiChannel, dict], Coroutine[Any, Any, Any]]) -> None:
        """`handler(channel, env)` for channels entering AsyncAGI with `purpose` as the first argument."""
        self.purposes[purpose] = handler

    def _on_start(self, channel: str, env: dict) -> None:
        if env.get("agi_arg_1") == "callback":   # a caller asking for a call-back from the queue: hotline/callback
            return
        self.spawn(self._on_call(channel, env), f"call {channel}")   # one task per call

    async def _on_call(self, channel: str, env: dict) -> None:
        picked_up_at = time.time()
        self.in_flow.add(channel)
        handler = self.purposes.get(env.get("agi_arg_1", ""))
        try:
            if handler is not None:
                await handler(AgiChannel(self.agi, channel), env)
            else:
                await self.flow.handle(AgiChannel(self.agi, channel), env, picked_up_at)
        finally:
            self.in_flow.discard(channel)

    async def _on_connect(self) -> None:
        await self._beat()   # take calls from the first moment, not a heartbeat interval later
        await self._release_orphans()
        await self.reconciler.run_once(every_note=True)   # notes written while we were away, however old

    async def _beat(self) -> None:
        """The dialplan answers calls by itself when this stamp is older than heartbeat_stale_seconds."""
        try:
            await write_heartbeat(self.ami)
        except Exception as exc:  # AMI hiccup: the next beat retries; the dialplan covers the gap
            log_event(log, "heartbeat failed", logging.WARNING, error=repr(exc))

    async def _heartbeat(self) -> None:
        while True:
            if self.ami.connected:
                await self._beat()
            await asyncio.sleep(self.settings.heartbeat_interval)

    async def _release_orphans(self) -> None:
        """Calls left in AsyncAGI by an earlier controller (or lost during a disconnect) go to the general line
        through the dialplan's fallback path, which notes them (AstDB hotline_fallback): the reconciler then
        journals and tickets them, also those that never got a call id from the controller that died."""
        for channel in self.agi.active_channels():  # AsyncAgi re-read them in its own on_connect hook
            if channel in self.in_flow:
                continue
            log_event(log, "releasing orphaned AsyncAGI channel to general", channel=channel)
            agi_channel = AgiChannel(self.agi, channel)
            try:
                # an empty HOTLINE_QUEUE sends the call to [hotline-fallback] `released` (answer, note, general)
                await agi_channel.release_with({"TIMEOUT(absolute)": 0, "HOTLINE_QUEUE": ""})
            except Exception as exc:
                log_event(log, "could not release channel", logging.WARNING, channel=channel, error=repr(exc))
