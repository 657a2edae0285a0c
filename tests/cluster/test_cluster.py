"""A hotline larger than one box, on this machine's loopback (hotline/deploy/cluster.py): real SIPp calls with
key 9 and a real recording through Kamailio → two Asterisk nodes, each with its own controller → one Redis
behind Sentinel → an ASR worker. Run by scripts/cluster-test (HOTLINE_CLUSTER_TEST=1); the tests run in
file order on one cluster and the last one kills a node."""
from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from hotline.commands.controller import Controller
from hotline.core.redis_client import redis_client
from hotline.deploy.cluster import LocalCluster
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps
from telephony.sipp import SippFactory

from helpers import eventually, new_caller

pytestmark = [pytest.mark.cluster, pytest.mark.skipif(
    not os.environ.get("HOTLINE_CLUSTER_TEST"), reason="run by scripts/cluster-test (starts a local cluster)")]


@pytest.fixture(scope="module")
def cluster():
    cluster = LocalCluster()
    cluster.up(log=lambda *_: None)
    yield cluster
    if not os.environ.get("HOTLINE_CLUSTER_KEEP"):
        cluster.down()


@pytest.fixture
def phones(cluster, tmp_path):
    """agent2 (tourism line) of each node answers; callers dial Kamailio."""
    factories = [SippFactory(cluster.settings(i).sip_port, cluster.settings(i).agent_phone_base_port,
                             tmp_path / f"node{i}") for i in range(cluster.plan.nodes)]
    node_phones = [f.agent_phone(2, answer_delay=0.3, talk_seconds=2.0) for f in factories]
    callers = SippFactory(cluster.plan.kamailio_port, 0, tmp_path / "callers")
    yield node_phones, callers
    for factory in (*factories, callers):
        factory.close()


@pytest.fixture
async def redis(cluster):
    client = redis_client(cluster.settings(0))   # through the Sentinels, like the controllers
    yield client
    await client.aclose()


async def call(cluster, callers, delay: float = 0.0) -> tuple[str, bool, float | None]:
    await asyncio.sleep(delay)
    settings, caller = cluster.settings(0), new_caller()
    result = await callers.caller(settings.hotline_number, caller_id=caller, max_hold=30, steps=hotline_steps(
        settings, "9", audio=settings.asr_model_dir / "test_wavs" / "5.wav")).arun(timeout=120)
    return caller, result.answered, result.answer_latency


def node_of(node_phones, caller: str) -> int | None:
    found = [i for i, phone in enumerate(node_phones) if phone.events_for(caller)]
    return found[0] if len(found) == 1 else None


async def assert_ticket_and_pop(redis, caller: str, since: float) -> str:
    """The call's journal reached the queue and the agent, its draft ticket got a transcript, its agent got
    the pop. Returns the ticket id."""
    journal = await eventually(lambda: find_call(Journal(redis), caller, since=since), 20, f"journal of {caller}")
    events = [e["event"] for e in journal["events"]]
    assert {"answer", "key", "recording", "queue_join", "agent_connect"} <= set(events), events

    async def transcribed():
        ticket = json.loads(await redis.get(f"hotline:ticket:{journal['ticket_id']}") or "null")
        return ticket if ticket and ticket["transcript"]["status"] == "done" else None
    await eventually(transcribed, 90, f"transcript of {caller}", interval=0.5)

    async def popped():
        pops = [json.loads(f["data"]) for _, f in await redis.xrange("hotline:screenpop:agent2")]
        return any(p["type"] == "pop" and p["call"]["call_id"] == journal["call_id"] for p in pops)
    await eventually(popped, 15, f"pop of {caller}", interval=0.3)
    return journal["ticket_id"]


async def test_calls_through_kamailio_spread_over_both_nodes(cluster, phones, redis):
    node_phones, callers = phones
    since = time.time() - 1
    placed = await asyncio.gather(*(call(cluster, callers, delay=0.5 * n) for n in range(4)))
    assert all(answered for _, answered, _ in placed), placed
    nodes = [node_of(node_phones, caller) for caller, *_ in placed]
    assert sorted(nodes) == [0, 0, 1, 1], nodes   # round-robin
    for caller, *_ in placed:
        await assert_ticket_and_pop(redis, caller, since)


async def test_redis_primary_killed_sentinel_promotes_and_everyone_follows(cluster, phones, redis):
    node_phones, callers = phones
    ha, since = cluster.redis, time.time() - 1
    tickets_before = await redis.zcard("hotline:tickets")
    primary = ha.primary()
    replica = ha.replica_port if primary == ha.primary_port else ha.primary_port
    calls = [asyncio.create_task(call(cluster, callers, delay=0.5 * n)) for n in range(2)]
    await asyncio.sleep(4.0)   # both callers in the menu: their flows are writing the journal
    ha.kill(primary)
    killed_at = time.monotonic()
    await eventually(lambda: ha.primary() == replica, 30, "Sentinel promoting the replica", interval=0.2)
    promoted_after = time.monotonic() - killed_at
    placed = await asyncio.gather(*calls) + [await call(cluster, callers)]   # and one after the promotion
    assert all(answered for _, answered, _ in placed), placed
    for caller, *_ in placed:
        await assert_ticket_and_pop(redis, caller, since)
    assert await redis.zcard("hotline:tickets") == tickets_before + len(placed), "a ticket was lost"
    for i in range(cluster.plan.nodes):
        await eventually(lambda: Controller(cluster.settings(i)).health()[0] == 200, 15, "controller healthy")  # noqa: B023 (awaited at once)
    print(f"replica promoted {promoted_after:.1f} s after the primary was killed")


async def test_node_killed_new_calls_go_to_the_other_node(cluster, phones, redis):
    node_phones, callers = phones
    since = time.time() - 1
    cluster.kill_node(0)
    placed = await asyncio.gather(*(call(cluster, callers, delay=0.7 * n) for n in range(4)))
    assert all(answered for _, answered, _ in placed), placed   # no call fails: all answered by node b
    assert [node_of(node_phones, caller) for caller, *_ in placed] == [1, 1, 1, 1]
    assert "I" in cluster.kamailio.destinations()[f"sip:127.0.0.1:{cluster.settings(0).sip_port}"]
    for caller, *_ in placed:
        await assert_ticket_and_pop(redis, caller, since)
    print(f"answer latency after the node was killed: {[round(latency, 2) for *_, latency in placed]} s")
