"""Overflow action `announce` through the REAL controller: while the tourism line is overloaded, a new caller who
presses 9 hears the overflow prompt (Asterisk reports how much of it it played), then waits in the tourism queue."""
from __future__ import annotations

import time

import pytest
import redis as sync_redis
import yaml

from hotline.supervision.store import ACTIVE_KEY, STREAM_KEY
from ivr.journal import Journal
from ivr.scripted_caller import FIRST_KEY_AFTER, find_call, hotline_steps, prompt_seconds

from helpers import eventually, new_caller

RAISE_AT = 2
PROMPT = "overflow-busy"


def announce_config() -> dict:
    return {"reconcile_seconds": 2, "full_resync_seconds": 30,
            "queues": {"tourism": {"rules": [{"id": "waiting", "metric": "callers_waiting",
                                              "warning": {"raise": RAISE_AT, "clear": 0}, "clear_after_s": 3}],
                                   "overflow": {"enabled": True, "action": "announce", "prompt": PROMPT,
                                                "min_severity": "warning"}},
                       "business": {"rules": []}, "general": {"rules": []}}}


@pytest.fixture(scope="module")
def announce_controller(controller_with_env, redis_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("overflow-announce") / "overflow.yaml"
    path.write_text(yaml.safe_dump(announce_config()), encoding="utf-8")
    client = sync_redis.Redis.from_url(redis_server)
    client.delete(ACTIVE_KEY, STREAM_KEY)
    client.close()
    with controller_with_env(HOTLINE_OVERFLOW_FILE=str(path)) as controller:
        yield controller


async def test_overloaded_line_announces_then_keeps_the_caller(settings, sipp, announce_controller, redis):
    journal = Journal(redis)
    sipp.agent_phone(2, answer=False)                     # tourism's agent rings but never answers
    for _ in range(RAISE_AT):
        sipp.caller(settings.hotline_number, caller_id=new_caller(), steps=hotline_steps(settings, "9"),
                    max_hold=120).start()
    await eventually(lambda: redis.hget(ACTIVE_KEY, "tourism:waiting"), 40, "tourism overflow alert")

    caller_id, started = new_caller(), time.time()
    announce = prompt_seconds(settings, PROMPT)
    steps = [("pause", FIRST_KEY_AFTER), ("dtmf", "9"), ("pause", announce + 1.5), ("dtmf", "#"), ("hold", None)]
    sipp.caller(settings.hotline_number, caller_id=caller_id, steps=steps, max_hold=60).start()

    async def queued():
        call = await find_call(journal, caller_id, since=started - 1, timeout=0.5)
        return call if call and call.get("queue") else None
    call = await eventually(queued, 40, "announced caller in a queue")
    events = {e["event"]: e for e in call["events"]}
    assert events["overflow_announce"]["prompt"] == PROMPT
    # Asterisk played (most of) the prompt: a missing file plays 0 s
    assert events["overflow_announce"]["played_seconds"] >= announce * 0.8
    assert "overflow" not in events                        # announce keeps the caller on the line
    assert (call["route"], call["queue"]) == ("tourism", "hotline-tourism")
