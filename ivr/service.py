"""Call-flow feature: AsyncAGI pickup, heartbeat for the dialplan fallback, journal consumers."""
from __future__ import annotations

import asyncio
import logging
import time

from hotline.core.logging import log_event
from ivr import prompts
from ivr.events import JournalConsumer
from ivr.flow import CallFlow
from ivr.journal import Journal
from ivr.menus.store import DEFAULT_MENU, MenuStore
from telephony.agi_channel import AgiChannel

log = logging.getLogger("ivr.service")


HEARTBEAT_VARIABLE = "HOTLINE_HEARTBEAT"  # an Asterisk global: Setvar needs only the AMI `call` class


async def write_heartbeat(ami, epoch: int | None = None) -> None:
    await ami.send_action("Setvar", Variable=HEARTBEAT_VARIABLE, Value=str(int(time.time()) if epoch is None else epoch))


async def beat(runtime) -> None:
    """The dialplan answers calls by itself when this stamp is older than heartbeat_stale_seconds."""
    try:
        await write_heartbeat(runtime.ami)
    except Exception as exc:  # AMI hiccup: the next beat retries; the dialplan covers the gap
        log_event(log, "heartbeat failed", logging.WARNING, error=repr(exc))


async def heartbeat(runtime) -> None:
    while True:
        if runtime.ami.connected:
            await beat(runtime)
        await asyncio.sleep(runtime.settings.heartbeat_interval)


async def release_orphans(runtime, flow_channels: set[str]) -> None:
    """Calls left in AsyncAGI by an earlier controller (or lost during a disconnect) go to the general line."""
    for channel in runtime.agi.active_channels():  # AsyncAgi re-read them in its own on_connect hook
        if channel in flow_channels:
            continue
        log_event(log, "releasing orphaned AsyncAGI channel to general", channel=channel)
        agi_channel = AgiChannel(runtime.agi, channel)
        try:
            await agi_channel.set_variables({"TIMEOUT(absolute)": 0, "HOTLINE_QUEUE": "general"})
            await agi_channel.release()
        except Exception as exc:
            log_event(log, "could not release channel", logging.WARNING, channel=channel, error=repr(exc))


async def start(runtime) -> None:
    from hotline.supervision.service import overflow_action
    from hotline.tickets.service import open_draft

    journal = Journal(runtime.redis)
    menus = MenuStore(runtime.redis)
    await menus.active_or_publish(DEFAULT_MENU)
    built = await asyncio.to_thread(prompts.build_defaults, runtime.settings)
    if built:
        log_event(log, "default prompts synthesised", prompts=built)
    flow = CallFlow(runtime.settings, runtime.redis, journal, menus, open_draft, overflow_action)
    in_flow: set[str] = set()

    async def on_call(channel: str, env: dict) -> None:
        arrived_at = time.time()
        in_flow.add(channel)
        try:
            await flow.handle(AgiChannel(runtime.agi, channel), env, arrived_at)
        finally:
            in_flow.discard(channel)

    def on_start(channel: str, env: dict) -> None:
        runtime.spawn(on_call(channel, env), name=f"call {channel}")  # one task per call

    runtime.agi.on_start(on_start)
    JournalConsumer(journal).register(runtime.ami)

    async def on_connect() -> None:
        await beat(runtime)  # take calls from the first moment, not a heartbeat interval later
        await release_orphans(runtime, in_flow)

    runtime.ami.on_connect(on_connect)
    runtime.spawn(heartbeat(runtime), name="heartbeat")
