"""A real call that says something after pressing 9 becomes a draft ticket on the tourism line."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
import redis.asyncio as aioredis
from asr_references import reference_pinyin

from hotline.core.config import PROJECT_DIR
from hotline.reports import hotspots
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps

HOTWORDS = ["周望军", "落实"]  # an admin's local hotwords (HOTLINE_ASR_HOTWORDS), spoken in test_wavs/5.wav


@pytest.fixture
def hotword_worker(settings, redis_server, tmp_path):
    env = {**os.environ, "HOTLINE_ASR_HOTWORDS": json.dumps(HOTWORDS, ensure_ascii=False)}
    log = open(tmp_path / "asr-worker.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "asr", "worker"], cwd=PROJECT_DIR, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    yield proc
    proc.terminate()
    proc.wait(10)


async def test_spoken_description_becomes_a_tourism_draft_ticket(settings, controller, hotword_worker, sipp,
                                                                 redis_server):
    client = aioredis.from_url(redis_server, decode_responses=True)
    sipp.agent_phone(2, talk_seconds=2.0)
    speech = settings.asr_model_dir / "test_wavs" / "5.wav"  # real Mandarin: 周望军就落实控物价
    caller_id, started = "13700000005", time.time()
    await sipp.caller("12345", caller_id=caller_id, max_hold=20,
                      steps=hotline_steps(settings, "9", audio=speech)).arun(timeout=90)
    call = await find_call(Journal(client), caller_id, since=started - 1)
    ticket = None
    for _ in range(100):
        ticket = json.loads(await client.get(f"hotline:ticket:{call['ticket_id']}"))
        if ticket["transcript"]["status"] != "pending":
            break
        time.sleep(0.2)
    # counted at once in the hotspot reports' aggregates (the ticket store's own write path)
    report = await hotspots.hotspots(client, "day", dt.date.fromtimestamp(ticket["created_at"]))
    await client.aclose()
    assert {r["name"]: r["count"] for r in report["dimensions"]["line"]}.get("tourism", 0) >= 1
    assert ticket["line"] == "tourism" and ticket["line_label"] == "文旅服务专线"
    assert ticket["caller"] == caller_id and ticket["recording_path"].endswith(".wav")
    transcript = ticket["transcript"]
    assert transcript["status"] == "done" and transcript["engine"] == "sherpa-onnx"
    heard, expected = transcript["pinyin"].split(), reference_pinyin("5.wav").split()
    assert len(set(heard) & set(expected)) >= len(expected) // 2, (heard, expected)
    assert {hit["word"] for hit in transcript["keywords"]} & set(HOTWORDS)
