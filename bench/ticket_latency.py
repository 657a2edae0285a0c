"""Recording end -> transcribed draft ticket latency, with 1 and 2 `hotline asr worker` processes, compared
with the ~150 s an agent needs to type a ticket by hand (the target the draft ticket has to beat).

    .venv/bin/python bench/ticket_latency.py [--jobs 28] [--interval 0.5] [--workers 1,2] [--markdown]

Real parts: a throwaway redis-server (AOF on, free port), `hotline asr worker --processes K` subprocesses
with the sherpa-onnx model from settings and the taxonomy's spotting keywords, the model's real test
recordings (16 kHz, 4-8 s each). For each job the call flow's open_draft runs first, then the job is
XADDed with recorded_at = now; latency = the ticket's "transcribed" audit time - recorded_at.
Two arrival shapes: `paced` (one recording every --interval s, a busy hotline) and `burst` (all at once,
the worst queueing case). Worker start-up (model load) is excluded: jobs are sent once every worker listens.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import free_port, pct  # noqa: E402

HUMAN_TARGET_SECONDS = 150.0


def start_redis(workdir: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--appendonly", "yes",
                             "--save", "", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


async def wait_for_consumers(redis, count: int, timeout: float = 60) -> None:
    from hotline.tickets.worker import GROUP, STREAM, ensure_group

    await ensure_group(redis)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(await redis.xinfo_consumers(STREAM, GROUP)) >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{count} workers did not start listening within {timeout} s")


async def transcribed_at(redis, call_id: str) -> float | None:
    from hotline.tickets import service, store

    ticket_id = await store.id_for_call(redis, call_id)
    ticket = await service.get_ticket(redis, ticket_id)
    return next((a["t"] for a in ticket["audit"] if a["action"] == "transcribed"), None)


async def run_shape(redis, wavs: list[Path], jobs: int, interval: float, tag: str) -> list[float]:
    from hotline.core.config import CONFIG_DIR
    from hotline.core.lines import load_lines
    from hotline.tickets import service
    from hotline.tickets.worker import STREAM

    lines = load_lines(CONFIG_DIR / "queues.yaml")
    recorded = {}
    for n in range(jobs):
        call_id = f"{tag}-{n}"
        await service.open_draft(redis, {"call_id": call_id, "caller": f"1380000{n:04d}", "route": "general"}, lines)
        recorded[call_id] = time.time()
        await redis.xadd(STREAM, {"call_id": call_id, "path": str(wavs[n % len(wavs)]), "caller": f"1380000{n:04d}",
                                  "route": "general", "recorded_at": recorded[call_id]})
        if interval:
            await asyncio.sleep(interval)
    latencies = {}
    deadline = time.monotonic() + 120 + jobs * 5
    while len(latencies) < jobs and time.monotonic() < deadline:
        for call_id in recorded.keys() - latencies.keys():
            done = await transcribed_at(redis, call_id)
            if done:
                latencies[call_id] = done - recorded[call_id]
        await asyncio.sleep(0.05)
    if len(latencies) < jobs:
        raise RuntimeError(f"{tag}: only {len(latencies)} of {jobs} tickets transcribed")
    return sorted(latencies.values())


async def bench_workers(port: int, processes: int, args, wavs: list[Path]) -> dict:
    import redis.asyncio as aioredis

    env = dict(os.environ, HOTLINE_REDIS_PORT=str(port))
    workers = subprocess.Popen([sys.executable, "-m", "hotline.cli", "asr", "worker", "--processes", str(processes),
                                "--consumer", f"bench{processes}"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    redis = aioredis.from_url(f"redis://127.0.0.1:{port}/0", decode_responses=True)
    try:
        await redis.flushdb()
        await wait_for_consumers(redis, processes)
        rows = {}
        for shape, interval in (("paced", args.interval), ("burst", 0.0)):
            latencies = await run_shape(redis, wavs, args.jobs, interval, f"{shape}{processes}")
            rows[shape] = {"p50": statistics.median(latencies), "p95": pct(latencies, 0.95), "max": latencies[-1]}
        return rows
    finally:
        workers.terminate()
        workers.wait(30)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=28)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    from hotline.core.config import Settings

    wavs = sorted((Settings().asr_model_dir / "test_wavs").glob("*.wav"))
    if not wavs or not shutil.which("redis-server"):
        sys.exit("needs the sherpa-onnx model test_wavs (HOTLINE_ASR_MODEL_DIR) and redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ticket-latency-") as workdir:
        redis_proc = start_redis(Path(workdir), port)
        try:
            results = {k: asyncio.run(bench_workers(port, k, args, wavs)) for k in map(int, args.workers.split(","))}
        finally:
            redis_proc.terminate()
            redis_proc.wait(10)
    print(f"recording end -> transcribed draft ticket, {args.jobs} jobs of {len(wavs)} real recordings "
          f"(4.5-8 s each), paced = 1 every {args.interval} s; human target {HUMAN_TARGET_SECONDS:.0f} s\n")
    sep = "|" if args.markdown else " "
    print(sep.join(f"{h:>10}" for h in ("workers", "arrival", "p50 s", "p95 s", "max s", "vs 150 s")))
    if args.markdown:
        print("|".join(["---:"] * 6))
    for workers, rows in results.items():
        for shape, r in rows.items():
            print(sep.join(f"{v:>10}" for v in (workers, shape, f"{r['p50']:.2f}", f"{r['p95']:.2f}", f"{r['max']:.2f}",
                                                 f"{HUMAN_TARGET_SECONDS / r['p95']:.0f}x faster")))


if __name__ == "__main__":
    main()
