"""The docker-compose stack, run for real (scripts/compose-test builds the images, brings the stack up on this
instance's HOTLINE_* ports, runs this file, takes it down): real SIPp calls with key presses and real
Mandarin recordings → Asterisk container → controller container → SIPp agent phones on the host; the journal,
the draft ticket with its transcript (ASR worker containers) and the screen-pop over the agent WebSocket."""
from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
from asr_references import reference_pinyin

from hotline.core.redis_client import redis_client
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps
from telephony.sipp import SippFactory

from helpers import eventually, new_caller, websocket_messages

pytestmark = [pytest.mark.compose, pytest.mark.skipif(
    not os.environ.get("HOTLINE_COMPOSE_TEST"), reason="run by scripts/compose-test against the compose stack")]
# (menu key, agent who answers that line, recording in the model's test_wavs)
CALLS = {"tourism": ("9", "agent2", "5.wav"), "business": ("1", "agent1", "1.wav")}
IN_ORDER = ["arrived", "answer", "key", "recording", "queue_join", "agent_connect", "hangup"]


@pytest.fixture
async def stack(settings):
    """Redis of the stack (password from the environment, like the containers) and its web app."""
    client = redis_client(settings)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=10) as http:
        yield client, http
    await client.aclose()


@pytest.fixture
def phones(settings, tmp_path):
    factory = SippFactory(settings.sip_port, settings.agent_phone_base_port, tmp_path / "sipp")
    yield factory
    factory.close()


async def agent_socket(http: httpx.AsyncClient, settings, agent: str):
    login = await http.post("/api/auth/login", json={"username": agent, "password": f"{agent}@12345"})
    assert login.status_code == 200, login.text
    return websocket_messages(f"ws://127.0.0.1:{settings.http_port}/ws/agent?token={login.json()['token']}")


async def place(settings, phones, route: str) -> tuple[str, float]:
    key, _, wav = CALLS[route]
    caller, started = new_caller(), asyncio.get_running_loop().time()
    result = await phones.caller(settings.hotline_number, caller_id=caller, max_hold=30, steps=hotline_steps(
        settings, key, audio=settings.asr_model_dir / "test_wavs" / wav)).arun(timeout=120)
    assert result.answered, f"{route} call not answered"
    return caller, started


async def test_real_calls_through_the_compose_stack(settings, stack, phones):
    redis, http = stack
    assert (await http.get("/healthz")).json()["status"] == "ok"
    for agent in ("agent1", "agent2"):
        phones.agent_phone(int(agent[-1]), answer_delay=0.5, talk_seconds=3.0)
    since = (await redis.time())[0] - 1
    async with await agent_socket(http, settings, "agent1") as pops1, \
            await agent_socket(http, settings, "agent2") as pops2:
        callers = dict(zip(CALLS, await asyncio.gather(*(place(settings, phones, r) for r in CALLS))))
        for route, (caller, _) in callers.items():
            key, agent, wav = CALLS[route]
            async def ended(caller=caller):   # the Hangup event is journaled a moment after SIPp ends
                call = await find_call(Journal(redis), caller, since=since, timeout=0.5)
                return call if call and "hangup" in [e["event"] for e in call["events"]] else None
            call = await eventually(ended, 15, f"{route} call journaled to its hang-up")
            assert call["route"] == route and call["agent"] == agent
            events = [e["event"] for e in call["events"]]
            assert [e for e in events if e in IN_ORDER] == IN_ORDER and "route" in events, events

            async def transcribed():
                ticket = json.loads(await redis.get(f"hotline:ticket:{call['ticket_id']}"))  # noqa: B023 (awaited at once)
                return ticket if ticket["transcript"]["status"] != "pending" else None
            ticket = await eventually(transcribed, 60, f"{route} transcript")
            assert ticket["caller"] == caller and ticket["transcript"]["status"] == "done", ticket["transcript"]
            heard, expected = ticket["transcript"]["pinyin"].split(), reference_pinyin(wav).split()
            assert len(set(heard) & set(expected)) >= len(expected) // 2, (heard, expected)

            pops = pops1 if agent == "agent1" else pops2
            pop = await eventually(lambda: next((m for _, m in pops if m["type"] == "pop"  # noqa: B023
                                                 and m["call"]["call_id"] == call["call_id"]), None), 10, "pop")  # noqa: B023 (awaited at once)
            assert pop["agent"] == agent and pop["ticket"]["id"] == call["ticket_id"]
            print(f"{route}: call {call['call_id']} → {agent}, ticket {ticket['id']}: {ticket['transcript']['pinyin']}")
    workers = await redis.xinfo_consumers("hotline:recordings", "asr")
    print(f"ASR consumers: {[(w['name'], w['pending']) for w in workers]}")
