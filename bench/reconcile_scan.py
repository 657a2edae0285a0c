"""The reconciler's scan of a busy hour's call window: CPU and how long it holds the controller's event loop.

    .venv/bin/python bench/reconcile_scan.py [--calls 50000] [--no-doc]

A throwaway redis-server (unix socket) holds `calls` journals of settled calls (ticketed, no recording: what a
busy day leaves in the six-hour window), and uvloop runs the scan while a probe measures how late a 10 ms
timer fires: the longest hold is how long a call arriving meanwhile would wait for its pickup. Baseline, same
run: the scan as it was before the sixth round (docs/decisions.md): the whole window in one ZRANGEBYSCORE and one
pipeline, and a `stat()` of each call's recording. Then the reconciler itself (ivr/reconcile.py): the first
round of a controller with no mark reads the window in pages with the event loop between them; the second
round, and a restarted controller, read only the calls since the mark.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
import uvloop  # noqa: E402

from hotline.core.redis_server import throwaway_redis  # noqa: E402
from ivr.journal import CALLS, call_key  # noqa: E402
from ivr.reconcile import Reconciler  # noqa: E402

from _common import write_doc_section  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench/reconcile_scan.py:start -->", "<!-- bench/reconcile_scan.py:end -->"
PROBE_SECONDS = 0.01


async def fill(client, calls: int, now: float) -> None:
    first = now - 5 * 3600        # inside the six-hour window, settled long ago
    for start in range(0, calls, 5000):
        async with client.pipeline(transaction=False) as pipe:
            for n in range(start, min(calls, start + 5000)):
                call_id, started = f"bench-{n:07d}", first + n * (4 * 3600 / calls)
                pipe.hset(call_key(call_id), mapping={"call_id": call_id, "started_at": started,
                                                      "ticket_id": f"T{n}", "queue": "hotline-general",
                                                      "route": "general"})
                pipe.zadd(CALLS, {call_id: started})
            await pipe.execute()


async def held(work) -> tuple[float, float]:
    """(CPU seconds of `work`, the longest the event loop was held while it ran)."""
    loop, worst, done = asyncio.get_running_loop(), 0.0, False

    async def probe() -> None:
        nonlocal worst
        while not done:
            due = loop.time() + PROBE_SECONDS
            await asyncio.sleep(PROBE_SECONDS)
            worst = max(worst, loop.time() - due)
    prober = asyncio.ensure_future(probe())
    await asyncio.sleep(0)
    started = time.process_time()
    await work()
    cpu = time.process_time() - started
    done = True
    await prober
    return cpu, worst


async def one_go(client, recordings: Path) -> None:
    """Before the sixth round: every call of the window at once, and a stat per call."""
    ids = await client.zrangebyscore(CALLS, time.time() - 6 * 3600, time.time() - 20)
    async with client.pipeline(transaction=False) as pipe:
        for call_id in ids:
            pipe.hmget(call_key(call_id), "ticket_id", "queue", "route", "hangup_stage", "asr_job_at")
        found = await pipe.execute()
    for call_id, _ in zip(ids, found, strict=True):
        (recordings / f"{call_id}.wav").exists()


def reconciler(client, recordings: Path, node: str) -> Reconciler:
    spool = SimpleNamespace(pending=False, counters={"replayed": 0})
    return Reconciler(SimpleNamespace(connected=False), None, SimpleNamespace(spool=spool), client,
                      recording_path=lambda call_id: recordings / f"{call_id}.wav", busy=set, node=node)


async def measure(sock: Path, calls: int, recordings: Path) -> list[tuple[str, float, float]]:
    client = aioredis.Redis(unix_socket_path=str(sock), decode_responses=True)
    await fill(client, calls, time.time())
    rows = [("before: the whole window at once, a stat() per call", *await held(lambda: one_go(client, recordings)))]
    first = reconciler(client, recordings, "bench")
    rows.append(("now, first round without a mark: pages of 500", *await held(first.unticketed_calls)))
    rows.append(("now, the next round (calls since the mark)", *await held(first.unticketed_calls)))
    restarted = reconciler(client, recordings, "bench")
    rows.append(("now, a restarted controller (its mark in Redis)", *await held(restarted.unticketed_calls)))
    await client.aclose()
    return rows


def table(rows: list[tuple[str, float, float]]) -> str:
    lines = ["| scan | CPU s | event loop held at most, ms |", "|---|---:|---:|"]
    return "\n".join(lines + [f"| {what} | {cpu:.2f} | {1000 * hold:.0f} |" for what, cpu, hold in rows])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, throwaway_redis(Path(workdir)) as sock:
        rows = uvloop.run(measure(sock, args.calls, Path(workdir)))
    text = table(rows)
    print(text)
    if not args.no_doc:
        write_doc_section(DOC, START, END, f"{START}\n## Reconciler scan (bench/reconcile_scan.py)\n\n"
                          f"`bench/reconcile_scan.py --calls {args.calls}` ({time.strftime('%Y-%m-%d %H:%M')}): "
                          f"{args.calls:,} settled calls (ticketed, no recording) in the six-hour window of a "
                          "throwaway redis-server, uvloop; CPU of this process; how late a 10 ms timer fired while "
                          "the scan ran (a call arriving then waits that long for its pickup).\n\n"
                          f"{text}\n{END}\n")


if __name__ == "__main__":
    main()
