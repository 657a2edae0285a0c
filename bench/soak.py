"""Soak with faults: N real SIPp calls (a realistic mix) through this instance's stack while the controller and the
ASR worker are killed -9, Redis and Asterisk restarted; then, once settled, the invariants as a table.

    bench/soak.py                                         # 1,000 calls, 16 at once (~15-20 min on the shared 2 cores)
    bench/soak.py --calls 3000 --concurrency 24 --rate 1.5 --doc   # docs/reliability.md's run (~40 min)

Starts the stack the way an operator does (`hotline up`: Asterisk, Redis, supervisor → controller + ASR worker)
or uses it if it runs; leaves it as found. Traffic only to 127.0.0.1; bounded by --calls and --max-minutes.
Exit status 1 when a call was lost, a ticket duplicated or a channel left stuck. Definitions: docs/reliability.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from hotline.commands.controller import Controller, SupervisorProcess  # noqa: E402
from hotline.core.config import Settings  # noqa: E402
from hotline.core.processes import read_state  # noqa: E402
from hotline.core.redis_server import RedisServer  # noqa: E402
from hotline.pbx import sandbox  # noqa: E402
from ivr.flow import spool_path  # noqa: E402

from _common import write_doc_section  # noqa: E402
from _soak_calls import Callers, CallPlan, agent_phones  # noqa: E402
from _soak_check import Report, check, table  # noqa: E402
from _soak_faults import FaultInjector, schedule  # noqa: E402

DOC = ROOT / "docs" / "reliability.md"
MARK_START, MARK_END = "<!-- soak:start -->", "<!-- soak:end -->"


@dataclass
class SoakResult:
    report: Report
    table: str
    faults: list
    seconds: float

    @property
    def ok(self) -> bool:
        r = self.report
        return r.lost_count == 0 and not r.duplicates and r.stuck_channels == 0


def rss_mb(pid: int | None) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def hotline_up() -> None:
    """`hotline up`, as an operator runs it (config check, Asterisk, Redis, supervisor)."""
    done = subprocess.run([sys.executable, "-m", "hotline.cli", "up"], capture_output=True, text=True, timeout=300,
                          env=os.environ.copy(), cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"hotline up failed:\n{done.stdout}\n{done.stderr}")


def stuck_channels(pbx) -> int:
    return len([line for line in pbx.cli("core show channels concise").splitlines() if "!" in line])


def settled(r, settings: Settings, pbx) -> list[str]:
    """What still moves: spooled writes, dialplan notes not taken, ASR jobs not done."""
    waiting = []
    spool = spool_path(settings)
    if spool.exists() and spool.stat().st_size:
        waiting.append("spool")
    if "/hotline_fallback/" in pbx.cli("database show hotline_fallback"):
        waiting.append("fallback notes")
    for group in r.xinfo_groups("hotline:recordings") if r.exists("hotline:recordings") else []:
        if group.get("pending") or group.get("lag"):
            waiting.append(f"ASR jobs (pending {group.get('pending')}, lag {group.get('lag')})")
    if not Controller(settings).ready():
        waiting.append("controller")
    return waiting


def settle(r, settings: Settings, pbx, quiet_since: float, timeout: float, log) -> None:
    """Until the reconciler has had a full round after the last call and nothing moves any more."""
    first_round = quiet_since + settings.reconcile_settle_seconds + settings.reconcile_interval_seconds + 5
    deadline = time.time() + timeout
    waiting: list[str] = ["start"]
    while time.time() < deadline:
        try:
            waiting = settled(r, settings, pbx)
        except (redis.RedisError, OSError, RuntimeError) as exc:
            waiting = [repr(exc)[:80]]
        if not waiting and time.time() >= first_round:
            return
        time.sleep(3)
    log(f"  not settled after {timeout:.0f} s: {', '.join(waiting)}")


async def _drive(callers: Callers, injector: FaultInjector, settings: Settings, samples: list) -> None:
    async def sample_rss():
        while True:
            samples.append(rss_mb(Controller(settings).pid()))
            await asyncio.sleep(10)
    sampler = asyncio.create_task(sample_rss())
    faults = asyncio.create_task(injector.run(lambda: callers.started))
    try:
        await callers.run()
        await faults     # the last fault is due before the last call is placed
    finally:
        sampler.cancel()
        faults.cancel()


def run_soak(settings: Settings, *, calls: int, concurrency: int, rate: float = 2.0, rounds: int | None = None,
             hold: float = 60.0, max_minutes: float = 60.0, settle_timeout: float = 300.0,
             work_dir: Path | None = None, log=print) -> SoakResult:
    """The whole soak; leaves the instance's processes as it found them."""
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="soak-"))
    pbx, redis_server, supervisor = sandbox(settings), RedisServer(settings), SupervisorProcess(settings)
    was = {"pbx": pbx.running(), "redis": redis_server.ping(), "supervisor": supervisor.pid() is not None}
    rounds = rounds or max(1, min(5, calls // 300))
    faults = schedule(calls, rounds)
    phones, callers = [], None
    started = time.time()
    try:
        hotline_up()
        restarts_before = {k: v.get("restarts", 0) for k, v in read_state(settings.state_dir).items()}
        phones = agent_phones(settings, work_dir)
        r = redis.Redis(host=settings.redis_host, port=settings.redis_port, decode_responses=True)
        rss = [rss_mb(Controller(settings).pid())]
        plan = CallPlan(calls)
        log(f"soak: {calls} calls (callers {plan.prefix}xxxxx), concurrency {concurrency}, {len(faults)} faults, "
            f"work dir {work_dir}")
        callers = Callers(settings, plan, work_dir, concurrency=concurrency, rate=rate, hold=hold,
                          deadline=started + max_minutes * 60)
        injector = FaultInjector(settings, faults, log)
        asyncio.run(_drive(callers, injector, settings, rss))
        log(f"  {len(callers.placed)} calls done in {time.time() - started:.0f} s; settling")
        settle(r, settings, pbx, time.time(), settle_timeout, log)
        rss.append(rss_mb(Controller(settings).pid()))
        restarts = {k: v.get("restarts", 0) - restarts_before.get(k, 0)
                    for k, v in read_state(settings.state_dir).items()}
        report = check(r, settings, callers.placed, started, injector.windows("restart_asterisk", margin=2.0),
                       stuck_channels(pbx))
        r.close()
        return SoakResult(report, table(report, faults, (rss[0], rss[-1]), restarts), faults, time.time() - started)
    finally:
        if callers is not None:
            callers.kill_all()
        for phone in phones:
            phone.stop()
        restore(was, pbx, redis_server, supervisor)


def restore(was: dict, pbx, redis_server, supervisor) -> None:
    if not was["supervisor"]:
        supervisor.stop(grace=30)
    if not was["redis"]:
        redis_server.down()
    if not was["pbx"]:
        pbx.down()
    elif not pbx.running():
        pbx.up()  # a failed restart_asterisk fault must not leave later users without Asterisk


def write_doc(result: SoakResult, command: str) -> None:
    section = (f"{MARK_START}\n## The soak's last recorded run\n\nMeasured {time.strftime('%Y-%m-%d %H:%M')} on the "
               f"shared 2-core sandbox, `{command}`, {result.seconds / 60:.0f} min:\n\n{result.table}\n\nFaults, in "
               "order: " + "; ".join(f"{f.kind} after {f.after_calls} calls ({f.detail})" for f in result.faults)
               + f"\n{MARK_END}\n")
    write_doc_section(DOC, MARK_START, MARK_END, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16, help="calls in progress at most")
    parser.add_argument("--rate", type=float, default=2.0, help="new calls a second at most")
    parser.add_argument("--rounds", type=int, default=None,
                        help="times each fault is injected (default: calls/300, 1 to 5)")
    parser.add_argument("--hold", type=float, default=60.0, help="seconds a caller waits in a queue at most")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="no new call after this")
    parser.add_argument("--doc", action="store_true", help=f"write the table into {DOC.relative_to(ROOT)}")
    args = parser.parse_args()
    # a run stopped with kill (SIGTERM) still stops its SIPp, phones and what it started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run_soak(Settings(), calls=args.calls, concurrency=args.concurrency, rate=args.rate,
                      rounds=args.rounds, hold=args.hold, max_minutes=args.max_minutes)
    print("\n" + result.table)
    if args.doc:
        write_doc(result, " ".join(["bench/soak.py", *sys.argv[1:]]))
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
