"""AsyncAGI on a real call: SIPp caller → Asterisk 22 dialplan → AGI(agi:async) → our AsyncAgi."""
import asyncio
import time

import pytest

from ivr.service import write_heartbeat
from telephony.agi import AgiHangup, AsyncAgi
from telephony.ami.manager import AmiManager

pytestmark = pytest.mark.integration


@pytest.fixture
async def controller(settings, pbx):
    ami = AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
                     ping_interval=1.0, action_timeout=5.0)
    agi = AsyncAgi(ami)
    await ami.connect()
    yield ami, agi
    await agi.close()
    await ami.close()


async def fresh_heartbeat(ami) -> None:
    await write_heartbeat(ami)


async def one_call(controller, settings, sipp, drive, hold: float):
    """A real call whose AsyncAGI channel `drive(channel, env)` runs; the SIPp caller once both have ended."""
    ami, agi = controller
    done = asyncio.Event()

    async def run(channel: str, env: dict) -> None:
        try:
            await drive(channel, env)
        finally:
            done.set()
    agi.on_start(run)
    await fresh_heartbeat(ami)
    caller = sipp.caller(settings.hotline_number, answer_pause=0, hold=hold)
    process = caller.start()
    await asyncio.wait_for(done.wait(), 30)
    await process.wait_async(30)
    return caller


async def test_asyncagi_round_trip_until_caller_hangs_up(controller, settings, sipp):
    _, agi = controller
    steps: dict = {}

    async def drive(channel: str, env: dict) -> None:
        steps["env"] = env
        try:
            await agi.command(channel, "SET VARIABLE TIMEOUT(absolute) 0")  # disarm the dialplan watchdog
            steps["answer"] = await agi.command(channel, "ANSWER")
            steps["name"] = await agi.command(channel, "GET VARIABLE CHANNEL(name)")
            await agi.command(channel, 'SET VARIABLE HOTLINE_CALL_ID "call-42 市民"')
            steps["var"] = await agi.command(channel, "GET VARIABLE HOTLINE_CALL_ID")
            steps["active"] = channel in agi.active_channels()
            steps["rediscovered"] = await rediscover_from_a_second_controller(settings, channel)
            for _ in range(5):  # the caller hangs up while we wait for a key
                await agi.command(channel, "WAIT FOR DIGIT 20000")
        except AgiHangup as exc:
            steps["hangup"] = exc
    caller = await one_call(controller, settings, sipp, drive, hold=2.0)
    assert caller.result().answered

    channel = steps["env"]["agi_channel"]
    assert steps["env"]["agi_request"] == "async" and steps["env"]["agi_extension"] == settings.hotline_number
    assert steps["answer"].code == 200 and steps["answer"].result == "0"
    assert steps["name"].result == "1" and steps["name"].data == channel
    assert steps["var"].data == "call-42 市民"
    assert steps["active"] and channel in steps["rediscovered"]
    assert isinstance(steps["hangup"], AgiHangup)
    assert channel not in agi.active_channels()


async def rediscover_from_a_second_controller(settings, channel: str) -> dict:
    """A controller started now (as after a crash) finds the channel waiting in AsyncAGI."""
    ami = AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret)
    agi = AsyncAgi(ami)  # its on_connect hook runs CoreShowChannels
    await ami.connect()
    try:
        return agi.active_channels()
    finally:
        await ami.close()


async def test_break_out_returns_the_call_to_the_dialplan(controller, settings, sipp):
    ami, agi = controller
    outcome: dict = {}
    done = asyncio.Event()

    async def release(channel: str, env: dict) -> None:
        await agi.command(channel, "SET VARIABLE HOTLINE_QUEUE general")
        await agi.break_out(channel)
        outcome["channel"] = channel
        done.set()
    agi.on_start(release)
    entered = []
    ami.on_event("QueueCallerJoin", lambda m: entered.append(m.get("Channel")))
    await fresh_heartbeat(ami)
    caller = sipp.caller(settings.hotline_number, answer_pause=0, hold=1.5)
    process = caller.start()
    await asyncio.wait_for(done.wait(), 20)
    await process.wait_async(30)
    for _ in range(50):
        if outcome["channel"] not in agi.active_channels() and entered:
            break
        await asyncio.sleep(0.05)
    assert outcome["channel"] not in agi.active_channels()
    assert outcome["channel"] in entered


async def test_control_playback_stops_a_playing_prompt_and_a_wait_for_a_key(controller, settings, sipp):
    """What AgiChannel relies on when Asterisk dropped a caller's key: AMI ControlPlayback ends the running
    STREAM FILE (6 s prompt), GET OPTION in its wait for a key and WAIT FOR DIGIT, each with no key (result 0;
    1000 from WAIT FOR DIGIT), and the channel takes the next command as before."""
    _, agi = controller
    sound = settings.pbx_instance_dir / "sounds"
    outcome: dict = {}

    async def drive(channel: str, env: dict) -> None:
        await agi.commands(channel, ["SET VARIABLE TIMEOUT(absolute) 0", "ANSWER"])
        for name, line in (("stream", f'STREAM FILE {sound}/record-description "#"'),
                           ("option", f'GET OPTION {sound}/digit-1 "#" 20000'),
                           ("wait", "WAIT FOR DIGIT 20000")):
            started = time.monotonic()
            running = asyncio.ensure_future(agi.command(channel, line, timeout=30))
            await asyncio.sleep(1.5)
            await agi.stop_playback(channel)
            outcome[name] = (await running, time.monotonic() - started)
        outcome["after"] = await agi.command(channel, "GET VARIABLE CHANNEL(name)")
    await one_call(controller, settings, sipp, drive, hold=12.0)

    for name in ("stream", "option", "wait"):
        result, seconds = outcome[name]
        assert result.code == 200 and result.result in ("0", "1000"), (name, result.raw)   # no key
        assert seconds < 4.0, (name, seconds)    # stopped at 1.5 s: not the 6 s prompt, not the 20 s wait
    assert outcome["after"].result == "1"
