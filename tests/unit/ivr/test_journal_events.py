"""JournalConsumer: scripted AMI events from the fake server complete a call's journal."""
from __future__ import annotations

import asyncio

import pytest

from ivr.events import JournalConsumer
from ivr.journal import Journal, call_key
from telephony.ami.manager import AmiManager

from helpers import eventually
from ivr_fake_pbx import event_names

CHANNEL = "PJSIP/caller-00000001"
STARTED = 1_700_000_000.0


@pytest.fixture
async def consumer(fake_ami, unit_redis):
    """(send, journal): send(event, call_id=..., **headers) pushes an event of our caller's channel."""
    ami = AmiManager("127.0.0.1", fake_ami.port, fake_ami.username, fake_ami.secret, action_timeout=2.0)
    journal = Journal(unit_redis)
    JournalConsumer(journal).register(ami)
    await ami.connect()

    def send(name: str, call_id: str | None = "call-1", channel: str = CHANNEL, **headers: str) -> None:
        variables = [f"HOTLINE_CALL_ID={call_id}", "HOTLINE_ROUTE=business"] if call_id else []
        fake_ami.event(name, Channel=channel, ChanVariable=variables, **headers)

    await journal.open("call-1", caller="13812345678", channel=CHANNEL, started_at=STARTED)
    yield send, journal
    await ami.close()


async def journal_with(journal: Journal, *wanted: str, call_id: str = "call-1") -> dict:
    async def ready():
        call = await journal.get(call_id)
        return call if all(w in event_names(call) for w in wanted) else None
    return await eventually(ready, 5, f"journal events {wanted}")


def the(call: dict, event: str) -> dict:
    [found] = [e for e in call["events"] if e["event"] == event]
    return found


async def test_newstate_up_is_the_answer_with_asterisks_timestamp(consumer):
    send, journal = consumer
    send("Newstate", ChannelState="5", ChannelStateDesc="Ringing", Timestamp=f"{STARTED + 0.2:.6f}")
    send("Newstate", ChannelState="6", ChannelStateDesc="Up", Timestamp=f"{STARTED + 1.25:.6f}")
    call = await journal_with(journal, "answer")
    # one answer: the Ringing state before it (same event queue, so already handled) wrote nothing
    assert the(call, "answer")["invite_to_answer_seconds"] == 1.25 == call["invite_to_answer_seconds"]
    assert call["answered_at"] == STARTED + 1.25


async def test_queue_agent_and_hangup(consumer):
    send, journal = consumer
    send("QueueCallerJoin", Queue="hotline-business", Position="1", Count="1")
    send("AgentCalled", Interface="PJSIP/agent1", MemberName="张坐席")
    send("AgentConnect", Interface="PJSIP/agent1", MemberName="张坐席", HoldTime="3", RingTime="1")
    send("Hangup", Cause="16", **{"Cause-txt": "Normal Clearing"})
    call = await journal_with(journal, "queue_join", "agent_ringing", "agent_connect", "hangup")
    assert (the(call, "queue_join")["queue"], the(call, "queue_join")["position"]) == ("hotline-business", "1")
    assert the(call, "agent_ringing")["agent"] == "agent1"
    assert the(call, "agent_connect")["hold_seconds"] == "3"
    assert the(call, "hangup")["cause"] == "Normal Clearing"
    assert (call["queue"], call["agent"], call["wait_seconds"]) == ("hotline-business", "agent1", 3)
    assert call["ended_at"] >= call["agent_connected_at"] >= call["queue_joined_at"] > STARTED
    assert "abandoned" not in call


async def test_agent_from_the_destination_channel_when_no_interface(consumer):
    send, journal = consumer
    send("AgentConnect", DestChannel="PJSIP/agent2-0000000a", HoldTime="not a number")
    call = await journal_with(journal, "agent_connect")
    assert call["agent"] == "agent2" and "wait_seconds" not in call


async def test_abandon(consumer):
    send, journal = consumer
    send("QueueCallerJoin", Queue="hotline-tourism", Position="2")
    send("QueueCallerAbandon", Queue="hotline-tourism", HoldTime="7", Position="1")
    send("Hangup", Cause="16", **{"Cause-txt": "Normal Clearing"})
    call = await journal_with(journal, "queue_join", "abandoned", "hangup")
    assert the(call, "abandoned") | {"t": 0} == {"t": 0, "event": "abandoned", "queue": "hotline-tourism",
                                                  "hold_seconds": "7"}
    assert call["abandoned"] is True and "agent" not in call


async def test_events_of_other_channels_are_ignored(consumer, unit_redis):
    send, journal = consumer
    send("Hangup", call_id=None, channel="PJSIP/agent1-00000002", Cause="16")  # not a hotline call
    send("Hangup", call_id="call-unknown", channel="PJSIP/other-00000003", Cause="16")  # no journal
    send("Hangup", Cause="16")  # ours, handled after the two above (one ordered queue)
    call = await journal_with(journal, "hangup")
    assert event_names(call).count("hangup") == 1
    assert not await unit_redis.exists(call_key("call-unknown"))
    assert sorted(await unit_redis.keys("hotline:call:*")) == [call_key("call-1"), f"{call_key('call-1')}:journal"]


async def test_one_round_trip_per_event_and_one_exists_per_call(consumer, unit_redis, monkeypatch):
    """The journal under load: an event costs one batch of commands; whether the call has a journal is asked
    once."""
    from hotline.core.redis_wire import RedisWire
    trips = []
    execute, command = RedisWire.execute, type(unit_redis).execute_command

    # only this call's keys: the loop is shared by the session, and an earlier test's consumer may still be
    # asking about its own call (an answer that came before its journal is retried for up to 2 s)
    async def counted_execute(self, commands):
        if any("call-1" in str(cmd[1]) for cmd in commands if len(cmd) > 1):
            trips.append("batch" if len(commands) > 1 else commands[0][0])
        return await execute(self, commands)

    async def counted_command(self, *args, **kwargs):
        if len(args) > 1 and "call-1" in str(args[1]):
            trips.append(args[0])
        return await command(self, *args, **kwargs)

    monkeypatch.setattr(RedisWire, "execute", counted_execute)
    monkeypatch.setattr(type(unit_redis), "execute_command", counted_command)
    send, journal = consumer
    send("QueueCallerJoin", Queue="hotline-business", Position="1", Count="1")
    send("AgentCalled", Interface="PJSIP/agent1", MemberName="agent1")
    send("AgentConnect", Interface="PJSIP/agent1", MemberName="agent1", HoldTime="3", RingTime="1")
    send("Hangup", Cause="16")
    await journal_with(journal, "queue_join", "agent_ringing", "agent_connect", "hangup")
    writes = [t for t in trips if t != "HGETALL" and t != "LRANGE"]   # the test's own reads
    assert writes == ["EXISTS", "batch", "batch", "batch", "batch"]   # the summary and the entry go together
    call = await journal.get("call-1")
    assert (call["queue"], call["agent"], call["wait_seconds"]) == ("hotline-business", "agent1", 3)


async def test_an_answer_before_the_journal_opens_is_noted_once_it_does(consumer, monkeypatch):
    """The flow opens the journal while the caller rings: at a busy hour the answer's event can come first."""
    monkeypatch.setattr("ivr.events.ANSWER_RETRY_SECONDS", 0.05)
    send, journal = consumer
    send("Newstate", call_id="call-2", ChannelState="6", Timestamp=str(STARTED + 1.5))
    await asyncio.sleep(0.02)
    await journal.open("call-2", caller="13812345678", channel=CHANNEL, started_at=STARTED)
    call = await journal_with(journal, "answer", call_id="call-2")
    assert call["invite_to_answer_seconds"] == 1.5
