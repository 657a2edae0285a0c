import asyncio
import time
from urllib.parse import quote

import pytest

from telephony.agi import AgiError, AgiHangup, AsyncAgi, decode_env, parse_agi_result
from telephony.ami.errors import AmiTimeout
from telephony.ami.manager import AmiManager
from telephony.ami.testing import FakeAmiServer, FakeAsyncAgi

from helpers import eventually

CHANNEL = "PJSIP/caller-00000001"


@pytest.mark.parametrize("raw, expected", [
    ("200 result=1 (timeout) endpos=1234\n", (200, "1", "timeout", 1234)),
    ("200 result=0\n", (200, "0", None, None)),
    ("200 result=-1 endpos=0\n", (200, "-1", None, 0)),
    ("200 result=1 (PJSIP/a (b) c)\n", (200, "1", "PJSIP/a (b) c", None)),
    ("200 result=123 (timeout)", (200, "123", "timeout", None)),
    ("510 Invalid or unknown command\n", (510, "", "Invalid or unknown command", None)),
    ("520-Invalid command syntax.  Proper usage follows:\nUsage: GET DATA\n520 End of proper usage.\n",
     (520, "", None, None)),
    ("garbage", (0, "", None, None)),
    ("", (0, "", None, None)),
])
def test_parse_agi_result(raw, expected):
    result = parse_agi_result(raw)
    got = (result.code, result.result, result.data, result.endpos)
    if expected[0] == 520:
        assert got[:2] == (520, "") and "Proper usage" in result.data
    else:
        assert got == expected
    assert result.raw == raw


def test_decode_env():
    env = decode_env(quote("agi_request: async\nagi_channel: PJSIP/caller-00000001\n"
                           "agi_callerid: 13812345678\nagi_calleridname: 张三\nagi_arg_1: a: b\n\n"))
    assert env == {"agi_request": "async", "agi_channel": CHANNEL, "agi_callerid": "13812345678",
                   "agi_calleridname": "张三", "agi_arg_1": "a: b"}


class FakeAgiChannel:
    """Scripts the fake server's answers to `Action: AGI`."""

    def __init__(self, server: FakeAmiServer):
        self.server, self.results, self.commands, self.hold = server, {}, [], False
        server.handlers["AGI"] = self.handle

    def handle(self, server, action):
        self.commands.append(action["Command"])
        if action["Channel"] == "PJSIP/nonexistent":
            return [dict(Response="Error", Message="Channel does not exist.")]
        if not self.hold:
            result = self.results.get(action["Command"], "200 result=0\n")
            # Asterisk 22 spells it CommandId in the event (CommandID in the action)
            server.event("AsyncAGIExec", Channel=action["Channel"], CommandId=action["CommandID"],
                         Result=quote(result))
        return [dict(Response="Success", Message="Added AGI original_command to queue")]


@pytest.fixture
async def agi_setup():
    server = await FakeAmiServer().start()
    server.handlers["CoreShowChannels"] = lambda s, a: [
        dict(Response="Success", EventList="start"),
        dict(Event="CoreShowChannel", Channel="PJSIP/old-00000009", Application="AGI",
             ApplicationData="agi:async", Uniqueid="1.9", CallerIDNum="13900000000", Exten="12345"),
        dict(Event="CoreShowChannel", Channel="PJSIP/q-0000000a", Application="Queue"),
        dict(Event="CoreShowChannelsComplete", EventList="Complete", ListItems="2")]
    manager = AmiManager("127.0.0.1", server.port, "hotline", "s3cret", action_timeout=0.5,
                         reconnect_backoff=(0.01, 0.05))
    agi = AsyncAgi(manager)
    channel = FakeAgiChannel(server)
    await manager.connect()
    yield server, agi, channel
    await agi.close()
    await manager.close()
    await server.stop()


async def start_channel(server, agi, name=CHANNEL):
    server.event("AsyncAGIStart", Channel=name, Env=quote(f"agi_request: async\nagi_channel: {name}\n\n"))
    for _ in range(300):
        if name in agi.active_channels():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("AsyncAGIStart not seen")


async def test_on_start_and_command_round_trip(agi_setup):
    server, agi, channel = agi_setup
    started = []

    async def on_start(name, env):
        started.append((name, env["agi_channel"]))
        channel.results["GET VARIABLE CHANNEL(name)"] = f"200 result=1 ({name})\n"
        started.append(await agi.command(name, "GET VARIABLE CHANNEL(name)"))
    agi.on_start(on_start)
    await start_channel(server, agi)
    for _ in range(300):
        if len(started) == 2:
            break
        await asyncio.sleep(0.01)
    assert started[0] == (CHANNEL, CHANNEL)
    assert started[1].code == 200 and started[1].result == "1" and started[1].data == CHANNEL
    assert agi.active_channels()[CHANNEL]["agi_request"] == "async"


async def test_commands_to_one_channel_are_serialized(agi_setup):
    server, agi, channel = agi_setup
    await start_channel(server, agi)
    results = await asyncio.gather(*(agi.command(CHANNEL, f"SET VARIABLE N {n}") for n in range(5)))
    assert channel.commands == [f"SET VARIABLE N {n}" for n in range(5)]
    assert all(r.result == "0" for r in results)


async def test_5xx_raises_agi_error_and_511_hangup(agi_setup):
    server, agi, channel = agi_setup
    await start_channel(server, agi)
    channel.results["BOGUS"] = "510 Invalid or unknown command\n"
    channel.results["GET DATA"] = "520-Invalid command syntax.  Proper usage follows:\n520 End of proper usage.\n"
    channel.results["STREAM FILE x"] = "511 Command Not Permitted on a dead channel or intercepted channel\n"
    with pytest.raises(AgiError, match="510") as err:
        await agi.command(CHANNEL, "BOGUS")
    assert err.value.result.code == 510
    with pytest.raises(AgiError, match="520"):
        await agi.command(CHANNEL, "GET DATA")
    with pytest.raises(AgiHangup):
        await agi.command(CHANNEL, "STREAM FILE x")


async def test_end_while_pending_and_after_raises_hangup(agi_setup):
    server, agi, channel = agi_setup
    await start_channel(server, agi)
    channel.hold = True
    pending = asyncio.create_task(agi.command(CHANNEL, "GET DATA prompt 5000 1"))
    await eventually(lambda: channel.commands, 3, "the command at the server")
    server.event("AsyncAGIEnd", Channel=CHANNEL)
    with pytest.raises(AgiHangup):
        await pending
    sent = len(channel.commands)
    with pytest.raises(AgiHangup):
        await agi.command(CHANNEL, "ANSWER")
    assert len(channel.commands) == sent  # not even sent
    assert CHANNEL not in agi.active_channels()
    await start_channel(server, agi)  # the same channel may enter AGI again
    channel.hold = False
    assert (await agi.command(CHANNEL, "ANSWER")).code == 200


async def test_hangup_event_fails_pending(agi_setup):
    server, agi, channel = agi_setup
    await start_channel(server, agi)
    channel.hold = True
    pending = asyncio.create_task(agi.command(CHANNEL, "WAIT FOR DIGIT 10000"))
    await eventually(lambda: channel.commands, 3, "the command at the server")
    server.event("Hangup", Channel=CHANNEL, Cause="16")
    with pytest.raises(AgiHangup):
        await pending


async def test_unknown_channel_and_timeout(agi_setup):
    server, agi, channel = agi_setup
    with pytest.raises(AgiHangup, match="Channel does not exist"):
        await agi.command("PJSIP/nonexistent", "ANSWER")
    await start_channel(server, agi)
    channel.hold = True
    with pytest.raises(AmiTimeout):
        await agi.command(CHANNEL, "ANSWER", timeout=0.05)


async def test_break_out_sends_asyncagi_break_and_tolerates_gone_channel(agi_setup):
    server, agi, channel = agi_setup
    await start_channel(server, agi)
    await agi.break_out(CHANNEL)
    assert channel.commands[-1] == "ASYNCAGI BREAK"
    server.event("AsyncAGIEnd", Channel=CHANNEL)
    await eventually(lambda: CHANNEL not in agi.active_channels(), 3, "AsyncAGIEnd handled")
    sent = len(channel.commands)
    await agi.break_out(CHANNEL)  # no error, and nothing sent to a channel that left AGI
    assert len(channel.commands) == sent


async def test_rediscover_on_every_connect(agi_setup):
    server, agi, _ = agi_setup
    # the on_connect hook already ran once during connect()
    active = agi.active_channels()
    assert list(active) == ["PJSIP/old-00000009"]
    assert active["PJSIP/old-00000009"]["agi_callerid"] == "13900000000"
    await start_channel(server, agi)  # not listed by CoreShowChannels: gone after a reconnect
    server.drop()
    for _ in range(300):
        if server.logins == 2 and CHANNEL not in agi.active_channels():
            break
        await asyncio.sleep(0.01)
    assert list(agi.active_channels()) == ["PJSIP/old-00000009"]


async def test_commands_go_out_on_the_actions_link_and_results_come_on_the_event_link(fake_ami):
    """Asterisk writes a session's events from the thread that reads its actions: AGI commands get their own
    events-off login, the results (AsyncAGIExec events) still arrive on the event link."""
    events = AmiManager("127.0.0.1", fake_ami.port, fake_ami.username, fake_ami.secret, action_timeout=2.0)
    actions = AmiManager("127.0.0.1", fake_ami.port, fake_ami.username, fake_ami.secret, action_timeout=2.0,
                         events=False)
    agi = AsyncAgi(events, actions)
    await events.connect()
    await actions.connect()
    try:
        FakeAsyncAgi(fake_ami).start("PJSIP/callers-9", lambda command: "200 result=1")
        await eventually(lambda: "PJSIP/callers-9" in agi.active_channels(), 2, "the channel to start")
        result = await agi.command("PJSIP/callers-9", "ANSWER", timeout=2)
        assert result.result == "1"
        assert [a.get("Action") for a in fake_ami.quiet_actions] == ["AGI"]   # on the events-off link
    finally:
        await actions.close()
        await events.close()


async def test_next_key_resolves_at_the_callers_key_and_is_cancelled_when_the_channel_goes(agi_setup):
    server, agi, _ = agi_setup
    assert not agi.next_key(CHANNEL).done() and CHANNEL not in agi._key_waiters   # not in AsyncAGI: never
    await start_channel(server, agi)
    pressed, later = agi.next_key(CHANNEL), agi.next_key(CHANNEL)
    server.event("DTMFEnd", Channel=CHANNEL, Digit="#", Direction="Received")
    await asyncio.wait_for(asyncio.gather(pressed, later), 1)
    assert agi.keys_received(CHANNEL) == "#"
    waiting = agi.next_key(CHANNEL)
    server.event("AsyncAGIEnd", Channel=CHANNEL)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 1)


async def test_stop_playback_sends_control_playback_and_tolerates_a_gone_channel(agi_setup):
    server, agi, _ = agi_setup
    server.handlers["ControlPlayback"] = lambda s, a: [
        dict(Response="Success", Message="Control Playback queued") if a["Channel"] == CHANNEL else
        dict(Response="Error", Message="No such channel")]
    await agi.stop_playback(CHANNEL)
    await agi.stop_playback("PJSIP/gone-00000001")
    sent = [(a["Channel"], a["Control"]) for a in server.actions if a.get("Action") == "ControlPlayback"]
    assert sent == [(CHANNEL, "stop"), ("PJSIP/gone-00000001", "stop")]


async def test_a_late_pickup_is_measured_and_logged_once_a_minute(agi_setup, caplog):
    server, agi, _ = agi_setup
    for name, late in (("PJSIP/late-1", 2.5), ("PJSIP/late-2", 3.0)):
        stamp = f"{time.time() - late:.6f}"
        server.event("AsyncAGIStart", Channel=name, Timestamp=stamp, Env=quote(f"agi_channel: {name}\n\n"))
        await eventually(lambda n=name: n in agi.active_channels(), 3, "picked up")
    assert 3.0 <= agi.pickup_lag.worst() < 4.0
    warnings = [r for r in caplog.records if "picked up late" in r.getMessage()]
    assert len(warnings) == 1
