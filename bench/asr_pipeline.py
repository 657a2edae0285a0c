"""Recording end → transcript on the ticket, for bench/asr.py: 15 s descriptions (real dev-set speech at
8 kHz, clips joined and cut to 15 s), a throwaway redis-server, real `hotline asr worker` subprocesses.

Two pipelines in the same run: sherpa-only (`--pass fast`, today's keywords) and two passes (`--pass fast
--pass hanzi`, the default), each with K = 1 and 2 processes per pass. For each job the call flow's
open_draft runs first, then the job is XADDed with recorded_at = now; latency = the ticket's `transcribed`
audit time for that pass − recorded_at. Worker start-up (model load) is excluded: jobs are sent once every
worker listens. Shapes: paced (one recording every `interval` s) and burst (all at once).
"""
from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ticket_latency import start_redis

from hotline.core.config import PROJECT_DIR

from _common import free_port, pct

DESCRIPTION_SECONDS = 15.0
RATE = 8000


def descriptions(dev: Path, out: Path, count: int = 8) -> list[Path]:
    """`count` 15 s recordings made of consecutive dev-set clips (8 kHz), each starting at another clip."""
    from asr.audio import load_wav, save_wav

    clips = [load_wav(p).samples for p in sorted((dev / "8k").glob("*.wav"))]
    made = []
    for n in range(count):
        parts, total, i = [], 0, n * 3
        while total < DESCRIPTION_SECONDS * RATE:
            clip = clips[i % len(clips)]
            parts += [clip, np.zeros(int(0.3 * RATE), np.float32)]
            total += len(clip) + int(0.3 * RATE)
            i += 1
        made.append(save_wav(out / f"desc{n}.wav", np.concatenate(parts)[: int(DESCRIPTION_SECONDS * RATE)], RATE))
    return made


async def _listening(redis, groups: dict[str, int], timeout: float = 120) -> None:
    from hotline.tickets.worker import STREAM, ensure_group

    for group in groups:
        await ensure_group(redis, group)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = {g: len(await redis.xinfo_consumers(STREAM, g)) for g in groups}
        if all(counts[g] >= n for g, n in groups.items()):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"workers not listening after {timeout} s: {counts}")


async def _done_at(redis, call_id: str) -> dict[str, float]:
    from hotline.tickets import service, store

    ticket = await service.get_ticket(redis, await store.id_for_call(redis, call_id))
    return {a["changes"].get("pass", "fast"): a["t"] for a in ticket["audit"] if a["action"] == "transcribed"}


async def _shape(redis, wavs: list[Path], jobs: int, interval: float, tag: str, passes: list[str]) -> dict:
    from hotline.tickets import service
    from hotline.tickets.worker import STREAM

    recorded = {}
    for n in range(jobs):
        call_id, caller = f"{tag}-{n}", f"1380000{n:04d}"
        await service.open_draft(redis, {"call_id": call_id, "caller": caller, "route": "general"})
        recorded[call_id] = time.time()
        await redis.xadd(STREAM, {"call_id": call_id, "path": str(wavs[n % len(wavs)]), "caller": caller,
                                  "route": "general", "recorded_at": recorded[call_id]})
        if interval:
            await asyncio.sleep(interval)
    latencies: dict[str, dict[str, float]] = {}
    deadline = time.monotonic() + 120 + jobs * 10
    while len(latencies) < jobs and time.monotonic() < deadline:
        for call_id in recorded.keys() - latencies.keys():
            done = await _done_at(redis, call_id)
            if all(p in done for p in passes):
                latencies[call_id] = {p: done[p] - recorded[call_id] for p in passes}
        await asyncio.sleep(0.05)
    if len(latencies) < jobs:
        raise RuntimeError(f"{tag}: only {len(latencies)} of {jobs} tickets done")
    return {p: sorted(v[p] for v in latencies.values()) for p in passes}


async def _pipeline(port: int, passes: list[str], processes: int, wavs, burst: int, paced: int, interval: float,
                    log=subprocess.DEVNULL):
    import redis.asyncio as aioredis

    from hotline.tickets.passes import PASSES

    args = [a for p in passes for a in ("--pass", p)]
    workers = subprocess.Popen([sys.executable, "-m", "hotline.cli", "asr", "worker", *args, "--processes",
                                str(processes), "--consumer", f"bench{processes}"],
                               env=dict(os.environ, HOTLINE_REDIS_PORT=str(port)), cwd=PROJECT_DIR,
                               stdout=subprocess.DEVNULL, stderr=log)
    redis = aioredis.from_url(f"redis://127.0.0.1:{port}/0", decode_responses=True)
    try:
        await redis.flushdb()
        await _listening(redis, {PASSES[p].group: processes for p in passes})
        tag = f"{'-'.join(passes)}{processes}"
        return {"paced": await _shape(redis, wavs, paced, interval, f"paced-{tag}", passes),
                "burst": await _shape(redis, wavs, burst, 0.0, f"burst-{tag}", passes)}
    finally:
        workers.terminate()
        workers.wait(60)
        await redis.aclose()


def pipeline_rows(dev: Path, burst: int, paced: int, interval: float) -> list[str]:
    rows = [f"Recording end → transcript on the ticket: 15 s descriptions (real speech, 8 kHz), paced = {paced} jobs "
            f"1 every {interval:g} s, burst = {burst} at once; K worker processes per pass "
            f"(Whisper {2} threads each).", "",
            "| pipeline | K | arrival | keywords (fast) p50 / p95 s | 汉字 transcript p50 / p95 s |",
            "|---|---:|---|---:|---:|"]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="asr-pipeline-") as work:
        wavs = descriptions(dev, Path(work))
        redis_proc = start_redis(Path(work), port)
        try:
            for passes, label in ((["fast"], "sherpa only"), (["fast", "hanzi"], "two passes")):
                for k in (1, 2):
                    result = asyncio.run(_pipeline(port, passes, k, wavs, burst, paced, interval))
                    for shape, by_pass in result.items():
                        cells = [f"{statistics.median(by_pass[p]):.2f} / {pct(by_pass[p], 0.95):.2f}"
                                 if p in by_pass else "—" for p in ("fast", "hanzi")]
                        rows.append(f"| {label} | {k} | {shape} | {cells[0]} | {cells[1]} |")
                        print(rows[-1], flush=True)
        finally:
            redis_proc.terminate()
            redis_proc.wait(10)
    return rows
