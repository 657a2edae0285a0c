"""Pop routing (agent from the event, never another agent's), ticket updates, and replay from the stream."""
import json

import pytest

from hotline.agents import calls
from hotline.agents.notifier import Connection, Notifier, id_after
from hotline.agents.screenpop import ScreenPop
from hotline.auth import service as auth
from telephony.ami.message import Message

from agents_users import UNIT_LINES


def event(name, interface="PJSIP/agent1", call_id="c-1", **extra):
    headers = {"Event": name, "Queue": "general", "Interface": interface, "MemberName": interface.split("/")[-1],
               "Channel": "PJSIP/callers-00000001", "DestChannel": f"{interface}-0000000a",
               "CallerIDNum": "13812345678", "HoldTime": "4", "ChanVariable": [f"HOTLINE_CALL_ID={call_id}"],
               "DestChanVariable": ["HOTLINE_CALL_ID="]}
    headers.update(extra)
    return Message(headers)


class FakeAmi:
    def __init__(self, value=None):
        self.value, self.sent = value, []

    async def send_action(self, name, **fields):
        self.sent.append((name, fields))
        return Message({"Response": "Success", "Value": self.value})


def test_endpoint_from_interface_and_channel_names():
    assert calls.endpoint_from("PJSIP/agent1") == "agent1"
    assert calls.endpoint_from("PJSIP/agent12-0000002a") == "agent12"
    assert calls.endpoint_from("Local/agent3@hotline-agents") == "agent3"
    assert calls.endpoint_from("agent4") == "agent4"
    assert calls.endpoint_from("") is None and calls.endpoint_from(None) is None


def test_agent_for_event_uses_exact_endpoint(users_yaml):
    directory = auth.get_directory()
    assert calls.agent_for_event(event("AgentConnect", "PJSIP/agent2"), directory).username == "agent2"
    # agent1 is a prefix of agent10 / agent1x: never matched loosely
    assert calls.agent_for_event(event("AgentConnect", "PJSIP/agent10"), directory) is None
    assert calls.agent_for_event(Message({"Event": "AgentConnect", "MemberName": "agent1"}), directory).endpoint == "agent1"
    assert calls.agent_for_event(Message({"Event": "AgentConnect"}), directory) is None


def test_call_id_comes_from_the_caller_channel_variables():
    assert calls.call_id_from_event(event("AgentConnect", call_id="abc")) == "abc"
    assert calls.call_id_from_event(Message({"Event": "AgentConnect"})) is None


@pytest.fixture
def pop(unit_redis, users_yaml):
    notifier = Notifier(unit_redis, maxlen=50)
    return ScreenPop(unit_redis, FakeAmi(), notifier, auth.get_directory, lines=UNIT_LINES)


class Sink:
    def __init__(self):
        self.messages = []

    async def send(self, text):
        self.messages.append(json.loads(text))


async def test_pop_goes_only_to_the_connected_agent(pop, unit_redis):
    await unit_redis.hset("hotline:call:c-1", mapping={"caller": "13812345678", "route": "business",
                                                          "started_at": "1700000000.5", "ticket_id": "t-1"})
    await unit_redis.set("hotline:ticket:t-1", json.dumps({"id": "t-1", "call_id": "c-1", "summary": "路灯不亮",
                                                                  "created_at": 1.0, "updated_at": 1.0}))
    await unit_redis.set("hotline:ticket-by-call:c-1", "t-1")
    sinks = {a: Sink() for a in ("agent1", "agent2")}
    conns = {a: Connection(a, sinks[a].send) for a in sinks}
    for conn in conns.values():
        pop.notifier.register(conn)
    await pop.on_agent_connect(event("AgentConnect", "PJSIP/agent1", call_id="c-1"))
    assert conns["agent2"].queue.empty()
    message = conns["agent1"].queue.get_nowait()
    assert message["type"] == "pop" and message["agent"] == "agent1" and message["id"]
    assert message["call"]["caller"] == "13812345678" and message["call"]["line"] == "企业服务"
    assert message["call"]["started_at"] == 1700000000.5 and message["call"]["hold_seconds"] == 4
    assert message["ticket"]["summary"] == "路灯不亮"
    assert await unit_redis.get("hotline:call-agent:c-1") == "agent1"
    assert await unit_redis.xlen("hotline:screenpop:agent2") == 0


async def test_unknown_endpoint_pops_nobody(pop, unit_redis):
    await pop.on_agent_connect(event("AgentConnect", "PJSIP/agent99"))
    assert await unit_redis.keys("hotline:screenpop:*") == []


async def test_call_id_falls_back_to_getvar(pop, unit_redis):
    pop.ami.value = "c-7"
    msg = Message({"Event": "AgentConnect", "Interface": "PJSIP/agent2", "Channel": "PJSIP/callers-1"})
    await pop.on_agent_connect(msg)
    assert pop.ami.sent == [("Getvar", {"Channel": "PJSIP/callers-1", "Variable": "HOTLINE_CALL_ID"})]
    assert (await pop.notifier.replay("agent2", None))[0]["call"]["call_id"] == "c-7"


async def test_ticket_event_updates_only_the_holder(pop, unit_redis):
    await pop.on_agent_connect(event("AgentConnect", "PJSIP/agent2", call_id="c-2"))
    await unit_redis.set("hotline:ticket:t-2", json.dumps({"id": "t-2", "call_id": "c-2", "created_at": 1.0,
                                                                  "updated_at": 1.0, "transcript": {"text": "你好"}}))
    await pop.on_ticket_event({"ticket_id": "t-2", "call_id": "c-2", "kind": "transcribed"})
    await pop.on_ticket_event({"ticket_id": "t-9", "call_id": "c-unheld", "kind": "created"})
    kinds = [(m["type"], m.get("kind")) for m in await pop.notifier.replay("agent2", None)]
    assert kinds == [("pop", None), ("update", "transcribed")]
    assert await unit_redis.xlen("hotline:screenpop:agent1") == 0


async def test_ringing_then_answered_elsewhere_and_abandon(pop):
    await pop.on_agent_called(event("AgentCalled", "PJSIP/agent1", call_id="c-3"))
    await pop.on_agent_called(event("AgentCalled", "PJSIP/agent2", call_id="c-3"))
    await pop.on_agent_connect(event("AgentConnect", "PJSIP/agent2", call_id="c-3"))
    agent1 = await pop.notifier.replay("agent1", None)
    assert [m["type"] for m in agent1] == ["ringing", "ended"]
    assert agent1[1]["reason"] == "answered_elsewhere" and agent1[1]["call"] == {"call_id": "c-3"}
    await pop.on_agent_called(event("AgentCalled", "PJSIP/agent1", call_id="c-4"))
    await pop.on_caller_abandon(Message({"Event": "QueueCallerAbandon", "ChanVariable": "HOTLINE_CALL_ID=c-4"}))
    assert (await pop.notifier.replay("agent1", None))[-1]["reason"] == "abandoned"


def test_stream_ids_compare_numerically():
    assert id_after("1700000000001-0", "999-5")
    assert id_after("5-10", "5-9") and not id_after("5-9", "5-10")
    assert id_after("5-0", None)


async def test_reconnect_replays_missed_messages_once(unit_redis):
    notifier = Notifier(unit_redis, maxlen=50)
    first = [await notifier.publish("agent1", {"type": "pop", "n": n}) for n in range(3)]
    sink = Sink()
    conn = Connection("agent1", sink.send)
    notifier.register(conn)
    live = await notifier.publish("agent1", {"type": "update", "n": 3})  # arrives while replaying
    for message in await notifier.replay("agent1", first[0]["id"]):
        await conn.deliver(message)
    while not conn.queue.empty():
        await conn.deliver(conn.queue.get_nowait())
    assert [m["n"] for m in sink.messages] == [1, 2, 3]
    assert sink.messages[-1]["id"] == live["id"]


async def test_replay_with_bad_or_no_id(unit_redis):
    notifier = Notifier(unit_redis, maxlen=50)
    for n in range(25):
        await notifier.publish("agent3", {"type": "pop", "n": n})
    assert [m["n"] for m in await notifier.replay("agent3", None)] == list(range(5, 25))
    assert len(await notifier.replay("agent3", "not-an-id")) == 20


async def test_slow_connection_is_dropped_not_blocking(unit_redis, monkeypatch):
    from hotline.agents import notifier as module
    notifier = Notifier(unit_redis, maxlen=50)
    conn = Connection("agent1", Sink().send)
    conn.queue = __import__("asyncio").Queue(2)
    notifier.register(conn)
    for n in range(3):
        await notifier.publish("agent1", {"type": "pop", "n": n})
    assert notifier.connected_agents() == []
    with pytest.raises(module.ConnectionDropped):
        await conn.pump()


async def test_pops_and_updates_carry_a_bounded_payload(pop, unit_redis):
    """Issue 10: every ticket change was copied whole (audit trail and all) into the agent's stream."""
    from hotline.tickets import model, store

    def biggest(n: int) -> model.Ticket:
        t = model.Ticket(id=f"T1-{n:06d}", call_id=f"c-{n}", caller="13812345678", created_at=float(n),
                         updated_at=float(n), summary="诉" * model.SUMMARY_MAX, notes="记" * model.NOTES_MAX,
                         transcript=model.Transcript.from_engine({"text": "字" * 10**5, "pinyin": "a" * 10**5}))
        for _ in range(model.AUDIT_MAX):
            t.record("agent1", "edited", {f"f{k}": "值" * 100 for k in range(model.AUDIT_FIELDS_MAX)})
        return t
    for n in range(1, 22):
        ticket = biggest(n)
        await unit_redis.set(f"hotline:ticket:{ticket.id}", ticket.model_dump_json())
        await unit_redis.zadd("hotline:tickets:caller:13812345678", {ticket.id: n})
    await unit_redis.hset("hotline:call:c-21", mapping={"caller": "13812345678", "ticket_id": "T1-000021"})
    await pop.on_agent_connect(event("AgentConnect", "PJSIP/agent1", call_id="c-21"))
    await pop.on_ticket_event({"ticket_id": "T1-000021", "call_id": "c-21", "kind": "updated"})
    sizes = {json.loads(f["data"])["type"]: len(f["data"].encode())
             for _id, f in await unit_redis.xrange("hotline:screenpop:agent1")}
    full = len(biggest(21).model_dump_json().encode())
    assert full > 200_000 and sizes["update"] < 100_000 and sizes["pop"] < 150_000, (full, sizes)
