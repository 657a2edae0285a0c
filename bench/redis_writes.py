"""The controller's Redis cost per command: redis-py's asyncio client against the wire (hotline/core/redis_wire.py).

    .venv/bin/python bench/redis_writes.py [--writers 200] [--rounds 50] [--no-doc]

A throwaway redis-server (unix socket) and uvloop, as the controller runs. CPU of this process only (the client
side: what the controller's event loop pays), per command. Baselines in the same run:
  - redis-py, one command at a time (the pool, retry wrapper and observability hooks each time);
  - redis-py, a busy hour's journal notes (RPUSH + EXPIRE + HSET) from `writers` calls at once, each note its
    own pipeline, and all of them in one shared pipeline (what BatchedWriter did before the wire).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
import uvloop  # noqa: E402
from redis.asyncio.connection import BlockingConnectionPool  # noqa: E402

from hotline.core.redis_server import throwaway_redis  # noqa: E402
from hotline.core.redis_wire import RedisWire  # noqa: E402

from _common import write_doc_section  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench/redis_writes.py:start -->", "<!-- bench/redis_writes.py:end -->"


def note(i: int) -> list[tuple]:
    key = f"bench:call:{i}"
    return [("RPUSH", f"{key}:journal", '{"t": 1795926614.056, "event": "key", "key": "9"}'),
            ("EXPIRE", f"{key}:journal", 7776000), ("HSET", key, "route", "tourism", "queue", "hotline-tourism")]


async def cpu_us_per_command(run, commands: int, rounds: int) -> float:
    await run()   # warm: connections open, scripts of the interpreter's caches filled
    started = time.process_time()
    for _ in range(rounds):
        await run()
    return (time.process_time() - started) / (rounds * commands) * 1e6


async def measure(sock: Path, writers: int, rounds: int) -> list[tuple[str, float]]:
    # bounded and waiting, as hotline.core.redis_client builds it for the controller
    client = aioredis.Redis.from_pool(BlockingConnectionPool.from_url(f"unix://{sock}", decode_responses=True,
                                                                      max_connections=500))
    wire = RedisWire(client.connection_pool)

    async def py_one():
        for _ in range(writers):
            await client.get("bench:x")

    async def wire_one():
        for _ in range(writers):
            await wire.execute([("GET", "bench:x")])

    async def py_note(i):
        async with client.pipeline(transaction=False) as pipe:
            for command in note(i):
                pipe.execute_command(*command)
            await pipe.execute()

    async def py_notes_each():
        await asyncio.gather(*(py_note(i) for i in range(writers)))

    async def py_notes_shared():
        async with client.pipeline(transaction=False) as pipe:
            for i in range(writers):
                for command in note(i):
                    pipe.execute_command(*command)
            await pipe.execute()

    async def wire_notes():
        await asyncio.gather(*(wire.execute(note(i)) for i in range(writers)))

    per_note = len(note(0))
    rows = [("one GET at a time: redis-py", await cpu_us_per_command(py_one, writers, rounds)),
            ("one GET at a time: wire", await cpu_us_per_command(wire_one, writers, rounds)),
            (f"{writers} calls' journal notes at once: redis-py, a pipeline each",
             await cpu_us_per_command(py_notes_each, writers * per_note, rounds)),
            (f"{writers} calls' journal notes at once: redis-py, one shared pipeline (BatchedWriter)",
             await cpu_us_per_command(py_notes_shared, writers * per_note, rounds)),
            (f"{writers} calls' journal notes at once: wire", await cpu_us_per_command(wire_notes, writers * per_note,
                                                                                      rounds))]
    await wire.aclose()
    await client.aclose()
    return rows


def table(rows: list[tuple[str, float]]) -> str:
    lines = ["| what | client CPU µs per command |", "|---|---:|"]
    return "\n".join(lines + [f"| {what} | {us:.1f} |" for what, us in rows])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, throwaway_redis(Path(workdir)) as sock:
        rows = uvloop.run(measure(sock, args.writers, args.rounds))
    text = table(rows)
    print(text)
    if not args.no_doc:
        command = f"bench/redis_writes.py --writers {args.writers} --rounds {args.rounds}"
        write_doc_section(DOC, START, END, f"{START}\n## Redis writes: redis-py against the wire "
                          f"(bench/redis_writes.py)\n\n`{command}` ({time.strftime('%Y-%m-%d %H:%M')}): CPU of "
                          "the client process per command (what the controller's event loop pays), uvloop, a "
                          "throwaway redis-server on a unix socket. The call journal, the ticket scripts, the menu "
                          "token and the ASR job go through the wire (hotline/core/redis_wire.py); everything else "
                          f"still uses redis-py.\n\n{text}\n{END}\n")


if __name__ == "__main__":
    main()
