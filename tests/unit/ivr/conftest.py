"""The call flow against the fake AMI server (tests/unit/ivr/ivr_fake_pbx.py): the real CallFlow,
JournalConsumer and Journal on a throwaway Redis; tickets and overflow are fakes (their own tests cover them)."""
from __future__ import annotations

import asyncio
import time

import pytest

from hotline.core.config import Settings
from ivr.events import JournalConsumer
from ivr.flow import CallFlow
from ivr.journal import Journal
from ivr.menus.store import MenuStore
from telephony.agi import AsyncAgi
from telephony.agi_channel import AgiChannel
from telephony.ami.manager import AmiManager
from telephony.ami.testing import FakeAsyncAgi

from ivr_fake_pbx import FakeOverflow, FakeTickets, FlowRig


@pytest.fixture
async def flow_rig(fake_ami, unit_redis, tmp_path):
    settings = Settings(ring_seconds=0.0, instance="unit", pbx_root=tmp_path, state_dir=tmp_path / "state")
    ami = AmiManager("127.0.0.1", fake_ami.port, fake_ami.username, fake_ami.secret, action_timeout=2.0)
    agi = AsyncAgi(ami)
    journal, menus = Journal(unit_redis), MenuStore(unit_redis)
    rig = FlowRig(settings, unit_redis, ami, agi, FakeAsyncAgi(fake_ami), journal, menus, FakeTickets(),
                  FakeOverflow())
    flow = CallFlow(settings, unit_redis, journal, menus, rig.tickets.open_draft, rig.overflow.action,
                    is_open=rig.is_open)
    rig.flow = flow   # type: ignore[attr-defined]  # tests of the flow's parts (partner transfers: lines)

    def on_start(channel: str, env: dict) -> None:  # as ivr.service does, keeping the task to await
        rig.flows[channel] = asyncio.ensure_future(flow.handle(AgiChannel(agi, channel), env, time.time()))

    agi.on_start(on_start)
    JournalConsumer(journal).register(ami)
    await ami.connect()
    yield rig
    await asyncio.gather(*rig.flows.values(), return_exceptions=True)
    await agi.close()
    await ami.close()
