"""Screen-pop latency: AgentConnect handed to the agents service -> WebSocket message received by the agent's
browser-side client, with 1, 20 and 100 agents connected, compared in the same run.

    .venv/bin/python bench/screen_pop.py [--trials 200] [--agents 1,20,100] [--markdown]

Real parts: uvicorn serving the FastAPI agents router, a throwaway redis-server (unix socket), the real
ScreenPop/Notifier path (call hash + draft ticket read from Redis, XADD to hotline:screenpop:{agent}, WebSocket
send) and `websockets` clients, one per agent. The AgentConnect event is injected into the service's AMI
handler (what the AMI manager would call), so Asterisk itself is not measured here.
Two shapes per agent count: `single` (one pop at a time to a random agent) and `burst` (every connected agent's
AgentConnect arrives at the same instant and is handled in AMI order, as the manager's ordered dispatcher does;
latency is measured from that instant, so the last agent's number includes the pops before it).
Server and clients share one process and one event loop (2-core machine): numbers include client parsing.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline.runtime import Features  # noqa: E402

from _common import pct, serving  # noqa: E402


def bench_lines(count: int):
    """The general line with every bench agent signing in to it."""
    from hotline.core.lines import parse_lines
    return parse_lines({"queues": [{"name": "general", "label": "综合服务",
                                    "login_members": [f"agent{n}" for n in range(1, count + 1)]}]})


def write_users(path: Path, count: int) -> None:
    import yaml

    from hotline.auth.users import hash_password
    pw = hash_password("bench", 1)
    users = [{"username": f"agent{n}", "display_name": f"坐席{n}", "role": "agent", "endpoint": f"agent{n}",
              "password_hash": pw} for n in range(1, count + 1)]
    path.write_text(yaml.safe_dump({"users": users, "screenpop_stream_maxlen": 1000}, allow_unicode=True))


def agent_connect(endpoint: str, call_id: str, caller: str = "13812345678"):
    from telephony.ami.message import Message
    return Message({"Event": "AgentConnect", "Queue": "hotline-general", "Interface": f"PJSIP/{endpoint}",
                    "MemberName": endpoint, "Channel": "PJSIP/callers-00000001", "CallerIDNum": "13812345678",
                    "HoldTime": "3", "ChanVariable": [f"HOTLINE_CALL_ID={call_id}"]})


class Client:
    """One agent's browser: a WebSocket that timestamps every pop it receives."""

    def __init__(self, ws):
        self.ws = ws
        self.waiters: dict[str, asyncio.Future] = {}

    async def read(self) -> None:
        async for text in self.ws:
            now = time.perf_counter()
            msg = json.loads(text)
            if msg.get("type") == "pop":
                fut = self.waiters.pop(msg["call"]["call_id"], None)
                if fut and not fut.done():
                    fut.set_result(now)


async def measure(url: str, feature, redis, agents: int, trials: int) -> dict:
    import websockets

    from hotline.auth.service import get_directory, issue_token
    from hotline.tickets.service import open_draft

    clients, readers = {}, []
    for n in range(1, agents + 1):
        token = await issue_token(redis, get_directory().get(f"agent{n}"), 600)
        ws = await websockets.connect(f"{url}/ws/agent?token={token}", max_size=None)
        json.loads(await ws.recv())  # hello
        clients[f"agent{n}"] = Client(ws)
        readers.append(asyncio.create_task(clients[f"agent{n}"].read()))
    seq = 0

    async def prepare(agent: str) -> tuple[str, asyncio.Future]:
        nonlocal seq
        seq += 1
        call_id = f"bench-{agents}-{seq}"
        caller = f"138{seq % 997:08d}"  # distinct callers; some call again, so history lookups do real work
        call = {"call_id": call_id, "caller": caller, "route": "general", "started_at": str(time.time())}
        await redis.hset(f"hotline:call:{call_id}", mapping=call)
        await open_draft(redis, call, feature.lines)
        fut = asyncio.get_running_loop().create_future()
        clients[agent].waiters[call_id] = fut
        return call_id, fut

    async def one_pop(agent: str) -> float:
        call_id, fut = await prepare(agent)
        start = time.perf_counter()
        await feature.on_call_event(agent_connect(agent, call_id))
        return (await asyncio.wait_for(fut, 10) - start) * 1000

    async def burst_round() -> list[float]:
        """Every agent's AgentConnect arrives at once; the AMI dispatcher hands them over in order."""
        prepared = [(agent, *await prepare(agent)) for agent in names]
        start = time.perf_counter()
        for agent, call_id, _ in prepared:
            await feature.on_call_event(agent_connect(agent, call_id))
        return [(await asyncio.wait_for(fut, 10) - start) * 1000 for _, _, fut in prepared]

    names = list(clients)
    for _ in range(10):  # warm-up
        await one_pop(random.choice(names))
    single = [await one_pop(random.choice(names)) for _ in range(trials)]
    burst: list[float] = []
    for _ in range(max(3, trials // agents)):
        burst += await burst_round()
    for c in clients.values():
        await c.ws.close()
    for r in readers:
        r.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {"agents": agents, "single": single, "burst": burst}


async def main(args) -> list[dict]:
    import redis.asyncio as aioredis
    from fastapi import FastAPI

    from hotline.core.redis_server import throwaway_redis

    workdir = Path(tempfile.mkdtemp(prefix="bench-screenpop-"))
    os.environ["HOTLINE_USERS_FILE"] = str(workdir / "users.yaml")
    write_users(workdir / "users.yaml", max(args.agents))
    from hotline.agents import http as agents_http
    from hotline.agents.service import AgentsFeature

    try:
        with throwaway_redis(workdir) as sock:
            redis = aioredis.Redis(unix_socket_path=str(sock), decode_responses=True)
            runtime = SimpleNamespace(redis=redis, ami=None, settings=None, features=Features(),
                                      lines=bench_lines(max(args.agents)))
            feature = runtime.features.agents = AgentsFeature(runtime.redis, runtime.ami, runtime.lines)
            app = FastAPI()
            app.state.runtime = runtime
            app.include_router(agents_http.router)
            try:
                async with serving(app) as port:
                    return [await measure(f"ws://127.0.0.1:{port}", feature, redis, n, args.trials)
                            for n in args.agents]
            finally:
                await redis.aclose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: list[dict], markdown: bool) -> None:
    rows = []
    base = statistics.median(results[0]["single"])
    for r in results:
        for shape in ("single", "burst"):
            v = r[shape]
            rows.append((r["agents"], shape, len(v), statistics.median(v), pct(v, 0.99), max(v),
                         statistics.median(v) / base))
    if markdown:
        print("| agents connected | shape | pops | p50 ms | p99 ms | max ms | p50 vs 1 agent single |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        for row in rows:
            print(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]:.2f} | {row[4]:.2f} | {row[5]:.2f} | {row[6]:.2f}x |")
    else:
        print(f"{'agents':>6} {'shape':>6} {'pops':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'vs base':>8}")
        for row in rows:
            print(f"{row[0]:>6} {row[1]:>6} {row[2]:>5} {row[3]:>8.2f} {row[4]:>8.2f} {row[5]:>8.2f} {row[6]:>7.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--agents", type=lambda s: [int(x) for x in s.split(",")], default=[1, 20, 100])
    parser.add_argument("--markdown", action="store_true")
    arguments = parser.parse_args()
    import logging
    logging.disable(logging.WARNING)
    report(asyncio.run(main(arguments)), arguments.markdown)
