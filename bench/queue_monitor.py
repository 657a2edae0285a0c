"""Queue monitor benchmark: alert latency over WebSocket and controller CPU per 1,000 queue events.

    .venv/bin/python bench/queue_monitor.py [--rounds 200] [--events 1000] [--no-doc]

Everything runs in this one process against a real redis-server (unix socket, started here), the
real AmiManager fed by the fake AMI server over a real TCP socket (telephony.ami.testing), and the
real FastAPI app under uvicorn with a WebSocket client. Baselines in the same run:
  latency — the same AMI wire delivering an event to a do-nothing handler;
  CPU     — model update only, then model + rules on every event (how the service worked before issue 15),
            then the service as it runs (model per event; rules, Redis and WebSocket on its 1 s tick).
Alert latency includes the wait for the next tick (up to 1 s): rules no longer run on every event.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
import websockets  # noqa: E402

from hotline.api.app import create_app  # noqa: E402
from hotline.auth.service import get_directory, issue_token  # noqa: E402
from hotline.core.config import CONFIG_DIR  # noqa: E402
from hotline.core.lines import load_lines  # noqa: E402
from hotline.core.redis_server import RedisServerError, throwaway_redis  # noqa: E402
from hotline.runtime import Features  # noqa: E402
from hotline.supervision.config import parse_config  # noqa: E402
from hotline.supervision.queue_model import QueueModel  # noqa: E402
from hotline.supervision.rules import RuleEngine  # noqa: E402
from hotline.supervision.service import SupervisionService  # noqa: E402
from telephony.ami.manager import AmiManager  # noqa: E402
from telephony.ami.message import Message  # noqa: E402
from telephony.ami.testing import FakeAmiServer, frame  # noqa: E402

from _common import pct, serving, write_doc_section  # noqa: E402

LINES = load_lines(CONFIG_DIR / "queues.yaml")   # the shipped line catalogue
META = LINES.pbx_queues()
DOC = ROOT / "docs" / "performance.md"
MARK_START, MARK_END = "<!-- bench/queue_monitor.py:start -->", "<!-- bench/queue_monitor.py:end -->"


def bench_config():
    rules = [{"id": "waiting", "metric": "callers_waiting", "warning": {"raise": 3, "clear": 1}, "clear_after_s": 0},
             {"id": "longest_wait", "metric": "longest_wait_s", "warning": {"raise": 60, "clear": 20}},
             {"id": "service_level", "metric": "service_level", "warning": {"raise": 80, "clear": 85}},
             {"id": "abandon_rate", "metric": "abandon_rate", "warning": {"raise": 15, "clear": 8}}]
    return parse_config({"queues": {m["name"]: {} for m in META}, "default_rules": rules})


def scripted_events(count: int, seed: int = 12345) -> list[dict]:
    """A plausible app_queue event mix over three queues: joins, answers, completes, abandons, member states."""
    rng, out, waiting, n = random.Random(seed), [], {m["asterisk_queue"]: [] for m in META}, 0
    while len(out) < count:
        queue = rng.choice(list(waiting))
        roll = rng.random()
        if roll < 0.45 or not waiting[queue]:
            n += 1
            waiting[queue].append(f"1700000000.{n}")
            out.append(dict(Event="QueueCallerJoin", Queue=queue, Uniqueid=f"1700000000.{n}", Position="1", Count="1"))
        elif roll < 0.85:
            uid = waiting[queue].pop(0)
            out += [dict(Event="QueueCallerLeave", Queue=queue, Uniqueid=uid, Position="1", Count="0"),
                    dict(Event="AgentConnect", Queue=queue, Uniqueid=uid, Interface="PJSIP/agent2",
                         MemberName="agent2", HoldTime=str(rng.randint(1, 60)), RingTime="1"),
                    dict(Event="AgentComplete", Queue=queue, Uniqueid=uid, Interface="PJSIP/agent2",
                         MemberName="agent2", HoldTime="5", TalkTime=str(rng.randint(60, 400)), Reason="caller")]
        elif roll < 0.93:
            uid = waiting[queue].pop(0)
            out += [dict(Event="QueueCallerAbandon", Queue=queue, Uniqueid=uid, Position="1", OriginalPosition="1",
                         HoldTime=str(rng.randint(10, 120))),
                    dict(Event="QueueCallerLeave", Queue=queue, Uniqueid=uid, Position="1", Count="0")]
        else:
            out.append(dict(Event="QueueMemberStatus", Queue=queue, Interface="PJSIP/agent2", MemberName="agent2",
                            Status=str(rng.choice([1, 2, 6])), Paused="0", InCall="0"))
    return [Message(e) for e in out[:count]]


async def cpu_per_1000(label: str, events: list, run) -> tuple[str, float]:
    start = time.process_time()
    await run(events)
    return label, (time.process_time() - start) * 1000 / len(events) * 1000


async def measure_cpu(redis, events: list) -> list[tuple[str, float]]:
    config = bench_config()
    aliases = {m["asterisk_queue"]: m["name"] for m in META}
    now = time.time()

    async def model_only(evts):
        model = QueueModel(config.queues, 20, aliases)
        for e in evts:
            model.apply(e, now)

    async def model_rules(evts):
        model, engine = QueueModel(config.queues, 20, aliases), RuleEngine(config)
        for e in evts:
            queue = model.apply(e, now)
            engine.evaluate(model, now, [queue])

    async def full_service(evts):
        await redis.flushdb()
        svc = SupervisionService(redis, None, config, LINES)
        svc.hub.add(_NullSocket())
        for e in evts:
            await svc.on_event(e)

    rows = [await cpu_per_1000("model update only", events, model_only),
            await cpu_per_1000("model + rules on every event (before)", events, model_rules),
            await cpu_per_1000("service.on_event (rules on the 1 s tick)", events, full_service)]
    return rows


class _NullSocket:
    async def send_text(self, text):
        return None


async def measure_wire_cpu(redis, events: list) -> tuple[str, float]:
    """The whole path: AMI bytes on a socket → parser → dispatcher → service (fake server cost included)."""
    await redis.flushdb()
    server = await FakeAmiServer().start()
    ami = AmiManager("127.0.0.1", server.port, "hotline", "s3cret", ping_interval=60)
    svc = SupervisionService(redis, ami, bench_config(), LINES)
    done = asyncio.Event()
    target = len(events)

    async def counting(event):
        await svc.on_event(event)
        if svc.counters["events"] >= target:
            done.set()
    ami.on_event(list({e.name for e in events}), counting)
    await ami.connect()
    payload = b"".join(frame(**e.headers) for e in events)
    start = time.process_time()
    server.send(payload)
    await asyncio.wait_for(done.wait(), 60)
    cpu = time.process_time() - start
    await ami.close()
    await server.stop()
    return "AMI wire + parse + dispatch + service", cpu * 1000 / target * 1000


async def measure_latency(redis, rounds: int) -> dict[str, list[float]]:
    await redis.flushdb()
    server = await FakeAmiServer().start()
    empty_list = lambda s, a: [dict(Response="Success", EventList="start"),  # noqa: E731
                               dict(Event="QueueStatusComplete", EventList="Complete", ListItems="0")]
    server.handlers.update(QueueStatus=empty_list, QueueSummary=empty_list)
    ami = AmiManager("127.0.0.1", server.port, "hotline", "s3cret", ping_interval=60)
    svc = SupervisionService(redis, ami, bench_config(), LINES)
    runtime = SimpleNamespace(redis=redis, ami=ami, settings=None, features=Features(supervision=svc), lines=LINES)
    tasks: list[asyncio.Task] = []
    svc.spawn = lambda coro, name: tasks.append(asyncio.create_task(coro, name=name))
    await svc.start()
    baseline_hit: asyncio.Future | None = None

    def on_user_event(event):
        if baseline_hit and not baseline_hit.done():
            baseline_hit.set_result(time.perf_counter())
    ami.on_event("UserEvent", on_user_event)
    await ami.connect()
    token = await issue_token(redis, get_directory().get("supervisor"), 600)
    results = {"AMI event → handler (baseline)": [], "threshold crossing → alert on WebSocket": [],
               "back to normal → clear on WebSocket": []}
    async with serving(create_app(runtime)) as port, \
            websockets.connect(f"ws://127.0.0.1:{port}/ws/supervisor?token={token}") as ws:
        await ws.recv()  # hello

        async def wait_alert(kind: str) -> float:
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] == "alert" and msg["alert"]["kind"] == kind:
                    return time.perf_counter()

        for r in range(rounds):
            baseline_hit = asyncio.get_running_loop().create_future()
            t0 = time.perf_counter()
            server.event("UserEvent", UserEvent="bench")
            results["AMI event → handler (baseline)"].append((await baseline_hit) - t0)
            uids = [f"r{r}-{i}" for i in range(3)]
            for i, uid in enumerate(uids):
                t0 = time.perf_counter()
                server.event("QueueCallerJoin", Queue="hotline-tourism", Uniqueid=uid, Position=str(i + 1),
                             Count=str(i + 1))
            results["threshold crossing → alert on WebSocket"].append(await wait_alert("raised") - t0)
            for uid in uids:
                t0 = time.perf_counter()
                server.event("QueueCallerLeave", Queue="hotline-tourism", Uniqueid=uid, Position="1", Count="0")
            results["back to normal → clear on WebSocket"].append(await wait_alert("cleared") - t0)
    for task in tasks:
        task.cancel()
    await ami.close()
    await server.stop()
    return results


def render(latency: dict[str, list[float]], cpu: list[tuple[str, float]], rounds: int, events: int) -> str:
    lines = ["| latency (ms) | p50 | p99 | max |", "|---|---:|---:|---:|"]
    for label, values in latency.items():
        ms = [v * 1000 for v in values]
        lines.append(f"| {label} | {pct(ms, 0.5):.2f} | {pct(ms, 0.99):.2f} | {max(ms):.2f} |")
    lines += ["", f"| controller CPU per 1,000 queue events ({events} scripted events) | ms CPU |", "|---|---:|"]
    base = cpu[0][1]
    for label, value in cpu:
        lines.append(f"| {label} | {value:.1f} ({value / base:.1f}× model only) |")
    return "\n".join(lines) + f"\n\n{rounds} alert rounds; CPU is this process's time.process_time()."


def write_doc(table: str) -> None:
    section = (f"{MARK_START}\n## Queue monitor (bench/queue_monitor.py)\n\nMeasured {time.strftime('%Y-%m-%d %H:%M')} "
               "on the shared 2-core sandbox, one process: fake AMI server over TCP → AmiManager → "
               "supervision service → Redis (unix socket) → uvicorn WebSocket → client. The alert path adds "
               "rule evaluation, Erlang C advice, a Redis MULTI (hash + stream) and the WebSocket send to the "
               "baseline AMI delivery; rules run on the service's 1 s tick, so an alert waits up to a second for it.\n\n" + table + f"\n{MARK_END}\n")
    write_doc_section(DOC, MARK_START, MARK_END, section)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--no-doc", action="store_true", help="print only, do not update docs/performance.md")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-queue-monitor-"))
    try:
        with throwaway_redis(workdir) as sock:
            redis = aioredis.Redis(unix_socket_path=str(sock), decode_responses=True)
            try:
                events = scripted_events(args.events)
                cpu = await measure_cpu(redis, events)
                cpu.append(await measure_wire_cpu(redis, events))
                latency = await measure_latency(redis, args.rounds)
            finally:
                await redis.aclose()
    except RedisServerError as exc:
        sys.exit(str(exc))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = render(latency, cpu, args.rounds, args.events)
    print(table)
    if not args.no_doc:
        write_doc(table)
        print(f"\nwrote section to {DOC}")


if __name__ == "__main__":
    import logging
    logging.disable(logging.WARNING)   # alert logs would dominate the CPU numbers
    asyncio.run(main())
