"""AsyncAGI on a real call: SIPp caller → Asterisk 22 dialplan → AGI(agi:async) → our AsyncAgi."""
import asyncio
import socket
import time

import pytest

from telephony.agi import AgiHangup, AsyncAgi
from telephony.ami.manager import AmiManager

pytestmark = pytest.mark.integration


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def start_sipp_call(settings, pause_ms: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "sipp", "-sn", "uac", f"127.0.0.1:{settings.sip_port}", "-s", settings.hotline_number,
        "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port()), "-m", "1",
        "-d", str(pause_ms), "-timeout", "30", "-nostdin",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


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
    await ami.send_action("DBPut", Family="hotline", Key="heartbeat", Val=str(int(time.time())))


async def test_asyncagi_round_trip_until_caller_hangs_up(controller, settings):
    ami, agi = controller
    steps: dict = {}
    done = asyncio.Event()

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
        finally:
            done.set()
    agi.on_start(drive)
    await fresh_heartbeat(ami)
    sipp = await start_sipp_call(settings, pause_ms=2000)
    await asyncio.wait_for(done.wait(), 30)
    assert await sipp.wait() == 0

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


async def test_break_out_returns_the_call_to_the_dialplan(controller, settings):
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
    sipp = await start_sipp_call(settings, pause_ms=1500)
    await asyncio.wait_for(done.wait(), 20)
    assert await sipp.wait() == 0
    for _ in range(50):
        if outcome["channel"] not in agi.active_channels() and entered:
            break
        await asyncio.sleep(0.05)
    assert outcome["channel"] not in agi.active_channels()
    assert outcome["channel"] in entered
