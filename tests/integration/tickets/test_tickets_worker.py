"""ASR worker with the real sherpa-onnx engine and real recordings; crash recovery with a real subprocess."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import wave

import numpy as np
import pytest

from hotline.core.config import Settings
from hotline.tickets import service, store
from hotline.tickets.worker import GROUP, STREAM, Worker, ensure_group

from helpers import shipped_lines

LINES = shipped_lines()

TEST_WAVS = Settings().asr_model_dir / "test_wavs"

pytestmark = pytest.mark.integration


async def publish(redis, call_id: str, path, **extra) -> str:
    fields = {"call_id": call_id, "path": str(path), "caller": "13812345678", "route": "general",
              "recorded_at": time.time(), **extra}
    return await redis.xadd(STREAM, fields)


async def run_until_idle(worker: Worker, jobs: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while worker.handled < jobs and time.monotonic() < deadline:
        await worker.step()
    assert worker.handled >= jobs, f"handled {worker.handled} of {jobs}"


async def ticket_for(redis, call_id: str) -> dict:
    return await service.get_ticket(redis, await store.id_for_call(redis, call_id))


def write_wav(path, samples: np.ndarray, rate: int = 8000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


async def test_real_recording_becomes_a_transcribed_ticket(tickets_redis, sherpa_engine):
    await service.open_draft(tickets_redis, {"call_id": "w1", "caller": "13812345678", "route": "general"}, LINES)
    await publish(tickets_redis, "w1", TEST_WAVS / "1.wav")
    worker = Worker(tickets_redis, sherpa_engine, "t1", lines=LINES, block_seconds=0.2)
    await ensure_group(tickets_redis)
    await run_until_idle(worker, 1)
    ticket = await ticket_for(tickets_redis, "w1")
    transcript = ticket["transcript"]
    assert transcript["status"] == "done" and transcript["engine"] == "sherpa-onnx"
    assert "wèn tí" in transcript["pinyin"]  # 1.wav: "...三个问题..."
    assert transcript["audio_seconds"] > 4
    assert (await tickets_redis.xpending(STREAM, GROUP))["pending"] == 0
    kinds = [f["kind"] for _id, f in await tickets_redis.xrange("hotline:ticket-events")]
    assert kinds == ["created", "transcribed"]


async def test_bad_audio_is_recorded_and_the_worker_goes_on(tickets_redis, sherpa_engine, tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000))
    huge = write_wav(tmp_path / "huge.wav", np.zeros(8000 * 130))
    jobs = {"empty": empty, "corrupt": corrupt, "silent": silent, "huge": huge, "missing": tmp_path / "nope.wav",
            "good": TEST_WAVS / "0.wav"}
    for call_id, path in jobs.items():
        await publish(tickets_redis, call_id, path)
    await tickets_redis.xadd(STREAM, {"unexpected": "job"})
    await ensure_group(tickets_redis)
    worker = Worker(tickets_redis, sherpa_engine, "t2", lines=LINES, block_seconds=0.2)
    await run_until_idle(worker, len(jobs) + 1)
    statuses = {c: (await ticket_for(tickets_redis, c))["transcript"] for c in jobs}
    assert {c: t["status"] for c, t in statuses.items()} == {
        "empty": "error", "corrupt": "error", "silent": "no_speech", "huge": "error", "missing": "error", "good": "done"}
    assert "longer than" in statuses["huge"]["error"] and "no such file" in statuses["missing"]["error"]
    assert (await tickets_redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_no_engine_means_transcript_unavailable_and_acked(tickets_redis):
    await publish(tickets_redis, "w3", TEST_WAVS / "0.wav")
    await ensure_group(tickets_redis)
    worker = Worker(tickets_redis, None, "t3", lines=LINES, unavailable_reason="HOTLINE_ASR_MODEL_DIR=/x: no encoder",
                    block_seconds=0.2)
    await run_until_idle(worker, 1)
    transcript = (await ticket_for(tickets_redis, "w3"))["transcript"]
    assert transcript["status"] == "unavailable" and "transcript unavailable" in transcript["error"]
    assert (await tickets_redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_redelivered_job_is_not_transcribed_twice(tickets_redis, sherpa_engine):
    message_id = await publish(tickets_redis, "w4", TEST_WAVS / "2.wav")
    await ensure_group(tickets_redis)
    worker = Worker(tickets_redis, sherpa_engine, "t4", lines=LINES, block_seconds=0.2)
    await run_until_idle(worker, 1)
    await worker.handle(message_id, {"call_id": "w4", "path": str(TEST_WAVS / "2.wav")})  # at-least-once redelivery
    ticket = await ticket_for(tickets_redis, "w4")
    assert [a["action"] for a in ticket["audit"]].count("transcribed") == 1
    assert await tickets_redis.zcard("hotline:tickets") == 1


def long_recording(path):
    """~105 s of real speech (the 7 model test wavs, 3 times): several seconds of decoding."""
    parts = []
    for _ in range(3):
        for n in range(7):
            with wave.open(str(TEST_WAVS / f"{n}.wav")) as w:
                parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
    return write_wav(path, np.concatenate(parts), 16000)


async def test_worker_killed_mid_job_is_reclaimed_exactly_once(tickets_redis, sherpa_engine, tmp_path):
    await ensure_group(tickets_redis)
    await publish(tickets_redis, "w5", long_recording(tmp_path / "long.wav"))
    doomed = subprocess.Popen([sys.executable, "-m", "hotline.cli", "asr", "worker", "--consumer", "doomed",
                               "--pass", "fast"],
                              env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pending = await tickets_redis.xpending(STREAM, GROUP)
            if pending["pending"] == 1 and {c["name"] for c in pending["consumers"]} == {"doomed"}:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the worker subprocess never took the job: " + doomed.stderr.read1().decode(errors="replace"))
        await asyncio.sleep(0.3)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    assert await store.id_for_call(tickets_redis, "w5") is None  # killed before it wrote anything
    rescuer = Worker(tickets_redis, sherpa_engine, "rescuer", lines=LINES, claim_idle=0.5, block_seconds=0.2)
    await asyncio.sleep(0.6)
    await run_until_idle(rescuer, 1)
    ticket = await ticket_for(tickets_redis, "w5")
    assert ticket["transcript"]["status"] == "done" and ticket["transcript"]["audio_seconds"] > 100
    assert await tickets_redis.zcard("hotline:tickets") == 1
    assert (await tickets_redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_worker_rides_out_a_redis_restart(tickets_redis, tickets_redis_server, sherpa_engine):
    """Issue 10: the worker exited on Redis' ConnectionError and later transcripts sat 'pending'."""
    await ensure_group(tickets_redis)
    worker = Worker(tickets_redis, sherpa_engine, "survivor", lines=LINES, block_seconds=0.2, reconnect_cap=0.5)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(tickets_redis_server.shutdown)
        await asyncio.sleep(1.5)
        assert not task.done(), task.exception() if task.done() else None
        await asyncio.to_thread(tickets_redis_server.start)
        await publish(tickets_redis, "after-restart", TEST_WAVS / "0.wav")
        deadline = time.monotonic() + 60
        while worker.handled < 1 and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.1)
        assert worker.handled == 1 and worker.reconnects >= 1
    finally:
        worker.stopping = True
        await asyncio.wait_for(task, 10)
    assert (await ticket_for(tickets_redis, "after-restart"))["transcript"]["status"] == "done"


def test_asr_retry_cli(tickets_redis_server):
    import redis as sync_redis
    from typer.testing import CliRunner

    from hotline.commands.asr import app

    db = sync_redis.Redis.from_url(tickets_redis_server.url, decode_responses=True)
    db.flushdb()
    asyncio.run(_dead_letter_one(tickets_redis_server.url))
    assert CliRunner().invoke(app, ["retry"]).exit_code == 2
    missing = CliRunner().invoke(app, ["retry", "T20000101-000404"])
    assert missing.exit_code == 1 and "no ticket" in missing.output
    failed = CliRunner().invoke(app, ["retry", "--failed"])
    assert failed.exit_code == 0 and "queued cli-1" in failed.output and "1 job(s) queued" in failed.output
    assert db.xlen("hotline:recordings:dead") == 0 and db.xlen(STREAM) == 2
    by_call = CliRunner().invoke(app, ["retry", "cli-1"])
    assert by_call.exit_code == 0 and db.xlen(STREAM) == 3
    db.close()


async def _dead_letter_one(url):
    import redis.asyncio as aioredis

    from hotline.tickets import jobs

    client = aioredis.from_url(url, decode_responses=True)
    await ensure_group(client)
    message_id = await publish(client, "cli-1", TEST_WAVS / "0.wav")
    await client.xreadgroup(GROUP, "c", {STREAM: ">"}, count=1)
    assert await jobs.fail(client, message_id, {"call_id": "cli-1", "path": str(TEST_WAVS / "0.wav")}, "boom", 1,
                           lines=LINES)
    await client.aclose()
async def test_both_passes_update_one_ticket_once_each(tickets_redis, sherpa_engine, whisper_engine):
    """One job reaches both groups; the 汉字 pass re-derives the ticket and drops the hit its text contradicts
    (test_wavs/3.wav: "…法国性格派演员" — the spotter hears 排烟 in 派演)."""
    from hotline.tickets.passes import PASSES

    message_id = await publish(tickets_redis, "w6", TEST_WAVS / "3.wav")
    fast = Worker(tickets_redis, sherpa_engine, "f1", lines=LINES, block_seconds=0.2)
    hanzi = Worker(tickets_redis, whisper_engine, "h1", lines=LINES, block_seconds=0.2, pass_name="hanzi")
    for worker in (fast, hanzi):
        await ensure_group(tickets_redis, worker.group)
        await run_until_idle(worker, 1)
    ticket = await ticket_for(tickets_redis, "w6")
    assert ticket["transcript"]["engine"] == "sherpa-onnx" and ticket["transcript"]["text"] == ""
    assert ticket["hanzi"]["status"] == "done" and ticket["hanzi"]["engine"] == "whisper"
    assert "文森特卡索" in ticket["hanzi"]["text"] and ticket["hanzi"]["tokens"][0]["probability"] is not None
    assert "排烟" not in ticket["matched"] and ticket["category"] != "噪声/油烟"
    assert ticket["summary"] == "" and ticket["suggested_summary"]
    await hanzi.handle(message_id, {"call_id": "w6", "path": str(TEST_WAVS / "3.wav")})  # redelivered: no work
    assert [a["changes"].get("pass") for a in (await ticket_for(tickets_redis, "w6"))["audit"]
            if a["action"] == "transcribed"] == ["fast", "hanzi"]
    for name in PASSES.values():
        assert (await tickets_redis.xpending(STREAM, name.group))["pending"] == 0
