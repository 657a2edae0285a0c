import asyncio
import logging

import pytest

from telephony.ami.errors import AmiActionError, AmiLoginError, AmiNotConnected, AmiTimeout
from telephony.ami.manager import AmiManager
from telephony.ami.testing import frame

from helpers import eventually


def wait_until(predicate):
    return eventually(predicate, 3.0, interval=0.01)   # the fake AMI answers within milliseconds


async def test_login_ok_runs_on_connect_once(manager, fake_ami):
    calls = []
    manager.on_connect(lambda: calls.append("sync"))

    async def hook():
        calls.append((await manager.send_action("Ping"))["Ping"])
    manager.on_connect(hook)
    await manager.connect()
    assert manager.connected and calls == ["sync", "Pong"] and fake_ami.logins == 1


async def test_bad_secret_raises_login_error_and_never_logs_secret(fake_ami, caplog):
    caplog.set_level(logging.DEBUG)
    ami = AmiManager("127.0.0.1", fake_ami.port, "hotline", "wrong-secret-xyz")
    with pytest.raises(AmiLoginError, match="Authentication failed") as err:
        await ami.connect()
    assert "wrong-secret-xyz" not in str(err.value) + repr(ami) + caplog.text
    assert not ami.connected


async def test_unreachable_raises_not_connected():
    ami = AmiManager("127.0.0.1", 1, "u", "s", action_timeout=0.5)
    with pytest.raises(AmiNotConnected):
        await ami.connect()


async def test_actions_before_connect_and_after_close_fail(manager):
    with pytest.raises(AmiNotConnected):
        await manager.send_action("Ping")
    await manager.connect()
    await manager.close()
    with pytest.raises(AmiNotConnected):
        await manager.send_action("Ping")


async def test_action_id_correlation_with_interleaved_events(manager, fake_ami):
    """Answers arrive in reverse order, wrapped in events: each caller still gets its own answer."""
    held = []

    def getvar(server, action):
        held.append(action)
        if len(held) < 2:
            return None
        for pending in reversed(held):
            server.event("VarSet", Variable="X", Value=pending["Variable"])
            server.send(frame(Response="Success", ActionID=pending.action_id, Value=pending["Variable"]))
        server.event("Newexten", Channel="PJSIP/a")
    fake_ami.handlers["Getvar"] = getvar
    seen = []
    manager.on_event("*", lambda m: seen.append(m.name))
    await manager.connect()
    first, second = await asyncio.gather(manager.send_action("Getvar", Variable="A"),
                                         manager.send_action("Getvar", Variable="B"))
    assert (first["Value"], second["Value"]) == ("A", "B")
    await wait_until(lambda: len(seen) == 3)
    assert seen == ["VarSet", "VarSet", "Newexten"]


async def test_timeout_and_error_response(manager, fake_ami):
    fake_ami.handlers["Silent"] = lambda server, action: None
    await manager.connect()
    with pytest.raises(AmiTimeout, match="Silent"):
        await manager.send_action("Silent")
    with pytest.raises(AmiActionError, match="Invalid/unknown command") as err:
        await manager.send_action("NoSuchAction")
    assert err.value.response["Response"] == "Error"
    assert (await manager.send_action("Ping"))["Ping"] == "Pong"  # link still fine


async def test_send_action_list_collects_until_complete(manager, fake_ami):
    def core_show_channels(server, action):
        aid = action.action_id
        return [dict(Response="Success", EventList="start", Message="Channels will follow"),
                dict(Event="CoreShowChannel", Channel="PJSIP/a", Application="AGI"),
                dict(Event="Newchannel", Channel="PJSIP/unrelated", ActionID=None),
                dict(Event="CoreShowChannel", Channel="PJSIP/b", Application="Queue", ActionID=aid),
                dict(Event="CoreShowChannelsComplete", EventList="Complete", ListItems="2")]
    fake_ami.handlers["CoreShowChannels"] = core_show_channels
    fake_ami.handlers["DBGet"] = lambda s, a: [dict(Response="Error", Message="Database entry not found")]
    broadcast = []
    manager.on_event("*", lambda m: broadcast.append(m.name))
    await manager.connect()
    items = await manager.send_action_list("CoreShowChannels")
    assert [m["Channel"] for m in items] == ["PJSIP/a", "PJSIP/b"]
    with pytest.raises(AmiActionError, match="Database entry not found"):
        await manager.send_action_list("DBGet", Family="hotline", Key="nope")
    await wait_until(lambda: broadcast == ["Newchannel"])


async def test_reconnect_after_drop_reruns_hooks(manager, fake_ami):
    connects, disconnects = [], []

    async def resync():
        connects.append((await manager.send_action("Ping"))["Ping"])
    manager.on_connect(resync)
    manager.on_disconnect(lambda: disconnects.append(1))
    fake_ami.handlers["Silent"] = lambda server, action: None
    await manager.connect()
    pending = asyncio.create_task(manager.send_action("Silent"))
    await wait_until(lambda: any(a.get("Action") == "Silent" for a in fake_ami.actions))
    fake_ami.drop()
    with pytest.raises(AmiNotConnected):
        await pending
    await wait_until(lambda: len(connects) == 2)
    assert disconnects == [1] and fake_ami.logins == 2 and manager.connected
    assert (await manager.send_action("Ping"))["Ping"] == "Pong"


async def test_reconnect_waits_for_server_to_come_back(manager, fake_ami):
    await manager.connect()
    await fake_ami.stop()
    await asyncio.sleep(0.2)  # several refused attempts
    assert not manager.connected
    await fake_ami.start()  # same port again
    await wait_until(lambda: manager.connected)
    assert fake_ami.logins == 2


async def test_missed_pong_drops_and_reconnects(manager, fake_ami):
    await manager.connect()
    fake_ami.answer_ping = False
    await wait_until(lambda: fake_ami.logins >= 2)
    fake_ami.answer_ping = True
    await wait_until(lambda: manager.connected)


async def test_slow_handler_does_not_stall_others_and_order_kept(manager, fake_ami):
    fast, slow = [], []
    release = asyncio.Event()

    async def slow_handler(message):
        await release.wait()
        slow.append(message["N"])
    manager.on_event("UserEvent", slow_handler)
    manager.on_event("UserEvent", lambda m: fast.append(m["N"]))
    await manager.connect()
    for n in range(50):
        fake_ami.event("UserEvent", N=str(n))
    await wait_until(lambda: len(fast) == 50)
    assert slow == [] and (await manager.send_action("Ping"))["Ping"] == "Pong"
    release.set()
    await wait_until(lambda: len(slow) == 50)
    assert fast == slow == [str(n) for n in range(50)]


async def test_handler_exception_is_logged_and_dispatch_goes_on(manager, fake_ami, caplog):
    got = []

    def flaky(message):
        if message["N"] == "1":
            raise RuntimeError("boom")
        got.append(message["N"])
    manager.on_event(["UserEvent", "Hangup"], flaky)
    await manager.connect()
    for n in range(3):
        fake_ami.event("UserEvent", N=str(n))
    fake_ami.event("Hangup", N="h")
    await wait_until(lambda: got == ["0", "2", "h"])
    assert "boom" in caplog.text


async def test_plain_handler_runs_in_the_reader_and_one_returning_a_coroutine_keeps_order(manager, fake_ami):
    plain, later = [], []

    async def record(n):
        await asyncio.sleep(0.01 if n == "0" else 0)   # the first one is the slowest: order must still hold
        later.append(n)
    manager.on_event("UserEvent", lambda m: plain.append(m["N"]))
    manager.on_event("UserEvent", lambda m: record(m["N"]))   # a plain function that returns a coroutine
    await manager.connect()
    for n in range(5):
        fake_ami.event("UserEvent", N=str(n))
    await wait_until(lambda: len(later) == 5)
    assert plain == later == [str(n) for n in range(5)]
    plain_subscription = manager._dispatcher._by_name["UserEvent"][0]
    assert plain_subscription.inline and plain_subscription.worker is None   # no queue, no task of its own


async def test_send_actions_writes_them_together_and_returns_a_refusal_in_its_place(manager, fake_ami):
    await manager.connect()
    before = len(fake_ami.actions)
    replies = await manager.send_actions([("Ping", {}), ("NoSuchAction", {"X": "1"}), ("Ping", {})])
    assert [r["Ping"] if not isinstance(r, AmiActionError) else "refused" for r in replies] == \
        ["Pong", "refused", "Pong"]
    assert [a.get("Action") for a in fake_ami.actions[before:]] == ["Ping", "NoSuchAction", "Ping"]
    fake_ami.answer_ping = False   # a silent server: the batch times out as one
    manager.action_timeout = 0.2
    with pytest.raises(AmiTimeout):
        await manager.send_actions([("Ping", {}), ("Ping", {})])


async def test_unsubscribe_stops_delivery(manager, fake_ami):
    got = []
    unsubscribe = manager.on_event("UserEvent", lambda m: got.append(m["N"]))
    await manager.connect()
    fake_ami.event("UserEvent", N="1")
    await wait_until(lambda: got == ["1"])
    unsubscribe()
    witness = []  # subscribed after `got`: its handler sees N=2 only after `got`'s would have
    manager.on_event("UserEvent", lambda m: witness.append(m["N"]))
    fake_ami.event("UserEvent", N="2")
    await wait_until(lambda: witness == ["2"])
    assert got == ["1"]
