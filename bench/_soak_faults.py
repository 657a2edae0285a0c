"""The soak's fault schedule: kill -9 the controller, kill -9 the ASR worker, restart Redis, restart Asterisk,
spread over the run by calls placed (fault i after (i+1)·N/(F+1) calls), `rounds` times each."""
from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass

from hotline.commands.controller import AsrWorkers, Controller
from hotline.core.config import Settings
from hotline.core.redis_server import RedisServer
from hotline.pbx import sandbox

KINDS = ("kill_controller", "kill_asr_worker", "restart_redis", "restart_asterisk")
REDIS_DOWN_SECONDS = 4.0


@dataclass
class Fault:
    kind: str
    after_calls: int
    started_at: float = 0.0
    ended_at: float = 0.0      # the broken part is back (process restarted, server answering)
    detail: str = ""


def schedule(calls: int, rounds: int) -> list[Fault]:
    kinds = [k for _ in range(rounds) for k in KINDS]
    return [Fault(kind, (i + 1) * calls // (len(kinds) + 1)) for i, kind in enumerate(kinds)]


class FaultInjector:
    def __init__(self, settings: Settings, faults: list[Fault], log=print) -> None:
        self.settings, self.faults, self.log = settings, faults, log
        self.controller, self.workers = Controller(settings), AsrWorkers(settings)
        self.redis, self.pbx = RedisServer(settings), sandbox(settings)

    async def run(self, placed) -> None:
        """`placed()`: calls placed so far. Each fault waits for its turn and for the last one's recovery."""
        for fault in self.faults:
            while placed() < fault.after_calls:
                await asyncio.sleep(0.2)
            fault.started_at = time.time()
            try:
                fault.detail = await asyncio.to_thread(getattr(self, fault.kind))
            except Exception as exc:   # a fault that could not be injected is reported, not fatal
                fault.detail = f"FAILED: {exc!r}"[:200]
            fault.ended_at = time.time()
            self.log(f"  fault {fault.kind} after {fault.after_calls} calls: {fault.detail} "
                     f"({fault.ended_at - fault.started_at:.1f} s)")

    def windows(self, kind: str, margin: float = 1.0) -> list[tuple[float, float]]:
        return [(f.started_at - margin, f.ended_at + margin) for f in self.faults if f.kind == kind and f.started_at]

    # -- the faults; each returns once the part is back ----------------------------------------------------
    def kill_controller(self) -> str:
        return self._kill(self.controller, lambda: self.controller.ready())

    def kill_asr_worker(self) -> str:
        return self._kill(self.workers, lambda: True)

    def _kill(self, part, ready, timeout: float = 90.0) -> str:
        pid = part.pid()
        if pid is None:
            return "not running (nothing to kill)"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = part.pid()
            if new not in (None, pid) and ready():
                return f"pid {pid} killed, {new} running"
            time.sleep(0.2)
        return f"pid {pid} killed, NOT back after {timeout:.0f} s"

    def restart_redis(self) -> str:
        self.redis.down()
        time.sleep(REDIS_DOWN_SECONDS)
        self.redis.up()
        return f"down {REDIS_DOWN_SECONDS:g} s, up"

    def restart_asterisk(self) -> str:
        before = self.pbx.pid()
        self.pbx.restart()
        return f"pid {before} → {self.pbx.pid()}"
