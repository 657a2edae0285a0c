"""`hotline supervise`: keeps the controller and the ASR workers running (started by `hotline up`).

A child that exits is started again after a backoff (0.5 s doubling to 30 s, back to 0.5 s once it has run a
minute); every restart is logged and counted in `supervisor.json` in the state dir, which `hotline status`
prints and the controller exports in /metrics (`hotline_process_restarts_total`). Why not supervisord:
docs/decisions.md.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hotline.core.logging import log_event
from hotline.core.processes import STATE_FILE

log = logging.getLogger("hotline.supervisor")
BACKOFF_START, BACKOFF_MAX, STABLE_AFTER = 0.5, 30.0, 60.0


@dataclass
class Child:
    name: str
    args: list[str]
    restarts: int = 0
    pid: int | None = None
    started_at: float | None = None
    last_exit: int | None = None
    next_start: float = 0.0
    backoff: float = BACKOFF_START
    process: subprocess.Popen | None = field(default=None, repr=False)

    def public(self) -> dict:
        return {"name": self.name, "pid": self.pid, "restarts": self.restarts, "started_at": self.started_at,
                "last_exit": self.last_exit, "backoff": self.backoff}


class Supervisor:
    def __init__(self, state_dir: Path, children: list[Child], poll: float = 0.2) -> None:
        self.state_dir, self.children, self.poll = Path(state_dir), children, poll
        self.running = True

    def run(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        signal.signal(signal.SIGINT, lambda *_: self.stop())
        while self.running:
            for child in self.children:
                self._tend(child, time.time())
            self._write_state()
            time.sleep(self.poll)
        for child in self.children:
            self._terminate(child)
        self._write_state()

    def stop(self) -> None:
        self.running = False

    def _tend(self, child: Child, now: float) -> None:
        if child.process is not None:
            code = child.process.poll()
            if code is None:
                if child.started_at and now - child.started_at > STABLE_AFTER:
                    child.backoff = BACKOFF_START
                return
            child.last_exit, child.process, child.pid = code, None, None
            child.next_start = now + child.backoff
            log_event(log, "process exited, restarting", logging.WARNING, process=child.name, exit_code=code,
                      restart_in=child.backoff, restarts=child.restarts + 1)
            child.backoff = min(child.backoff * 2, BACKOFF_MAX)
            child.restarts += 1
            return
        if now >= child.next_start:
            self._start(child, now)

    def _start(self, child: Child, now: float) -> None:
        log_file = self.state_dir / "logs" / f"{child.name}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as out:
            child.process = subprocess.Popen([sys.executable, "-m", "hotline.cli", *child.args],
                                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                             env=os.environ.copy())
        child.pid, child.started_at = child.process.pid, now
        (self.state_dir / f"{child.name}.pid").write_text(f"{child.pid}\n")
        log_event(log, "process started", process=child.name, pid=child.pid, restarts=child.restarts)

    def _terminate(self, child: Child, grace: float = 10.0) -> None:
        if child.process is None:
            return
        child.process.terminate()
        try:
            child.process.wait(grace)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait(5)
        (self.state_dir / f"{child.name}.pid").unlink(missing_ok=True)
        child.process, child.pid = None, None

    def _write_state(self) -> None:
        state = {c.name: c.public() for c in self.children}
        tmp = self.state_dir / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_dir / STATE_FILE)
