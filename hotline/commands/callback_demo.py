"""`hotline call --key 9 --callback`: a 预约回拨 demo through the local sandbox.

While no agent is free (the agents' queue memberships are paused for the demo, then restored), the caller
presses 1 in the queue, confirms their number and hangs up; then an agent frees up, the caller's SIPp phone
(a UAS on the port of the controller's `callback_dial`) is called back and connected; prints the journal.
"""
from __future__ import annotations

import asyncio
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

from hotline.callback.store import CallbackStore
from hotline.core.config import Settings
from hotline.core.redis_client import redis_client
from hotline.pbx import sandbox
from ivr.journal import Journal
from ivr.scripted_caller import callback_steps, find_call
from telephony.sipp import SippAgentPhone, SippFactory


class DemoError(RuntimeError):
    pass


def callback_port(settings: Settings) -> int:
    """The local port the controller calls callers back on (from `callback_dial`)."""
    found = re.search(r"@127\.0\.0\.1:(\d+)", settings.callback_dial)
    if not found:
        raise DemoError(f"callback_dial {settings.callback_dial!r} does not call a phone on 127.0.0.1: the demo "
                        "needs HOTLINE_CALLBACK_DIAL=PJSIP/callers/sip:{number}@127.0.0.1:PORT on the controller")
    return int(found.group(1))


def free_agents(pbx) -> list[str]:
    """Agents' phones in some queue and not paused there now: the demo pauses them (and only them) for a while."""
    agents = set()
    for line in pbx.cli("queue show").splitlines():
        found = re.search(r"\((PJSIP/agent\d+)\)", line)
        if found and "paused" not in line:
            agents.add(found.group(1))
    return sorted(agents)


async def _wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.3)
    raise DemoError(f"timed out waiting for {what}")


async def run_demo(settings: Settings, key: str) -> dict:
    port = callback_port(settings)
    caller_id = f"139{random.randrange(10**8):08d}"
    work = Path(tempfile.mkdtemp(prefix="hotline-callback-", dir=settings.state_dir))
    pbx, client = sandbox(settings), redis_client(settings)
    sipp = SippFactory(settings.sip_port, settings.agent_phone_base_port, work)
    store, paused = CallbackStore(client), free_agents(pbx)
    phone = None
    try:
        for agent in paused:   # "no agent is free": the demo's peak
            pbx.cli(f"queue pause member {agent}")
        started = time.time()
        caller = sipp.caller(settings.hotline_number, caller_id=caller_id, steps=callback_steps(key), max_hold=40)
        sip = await caller.arun(timeout=90)
        call = await find_call(Journal(client), caller_id, since=started - 1) or {}
        call_id = call.get("call_id")
        if not call_id or not await store.get(call_id):
            raise DemoError("no call-back was booked (is the line's offer on? see config/callback.yaml)")
        phone = SippAgentPhone("caller", port, answer_delay=0.5, talk_seconds=3.0, work_dir=work / "caller-phone")
        phone.start()
        for n in range(1, settings.agent_count + 1):
            sipp.agent_phone(n, talk_seconds=8.0)
        for agent in paused:   # an agent frees up
            pbx.cli(f"queue unpause member {agent}")
        paused = []
        record = await _wait(lambda: _finished(store, call_id), 90, "the call-back")
        return {"caller": caller_id, "sip": {"answered": sip.answered, "answer_latency": sip.answer_latency,
                                             "hotline_hung_up": sip.remote_hangup},
                "callback": record, "callback_phone": [e.kind for e in phone.events()],
                "call": await find_call(Journal(client), caller_id, since=started - 1) or {}}
    finally:
        for agent in paused:
            pbx.cli(f"queue unpause member {agent}")
        if phone is not None:
            phone.stop()
        sipp.close()
        await client.aclose()
        shutil.rmtree(work, ignore_errors=True)   # SIPp's traces hold the caller's number


async def _finished(store: CallbackStore, call_id: str) -> dict | None:
    record = await store.get(call_id)
    return record if record and record.get("status") in ("connected", "failed") else None
