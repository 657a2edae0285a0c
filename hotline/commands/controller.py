"""`hotline serve` and `hotline asr worker` as background processes: pid and log in the state dir."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from telephony.pbx import process


class ControllerError(RuntimeError):
    pass


class BackgroundCommand:
    """One `hotline <args>` child, detached, found again by its pid file (and command line: no pid reuse)."""

    def __init__(self, settings, name: str, args: list[str]):
        self.settings, self.name, self.args = settings, name, args
        self.pid_file = Path(settings.state_dir) / f"{name}.pid"
        self.log_file = Path(settings.state_dir) / "logs" / f"{name}.log"

    def pid(self) -> int | None:
        return process.read_pid(self.pid_file, " ".join(["hotline.cli", *self.args]))

    def ready(self) -> bool:
        return True

    def start(self, timeout: float = 30.0) -> bool:
        """Start unless it runs; wait until ready(). True if started now."""
        if self.pid() is not None:
            return False
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            child = subprocess.Popen([sys.executable, "-m", "hotline.cli", *self.args], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env=os.environ.copy())
        self.pid_file.write_text(f"{child.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise ControllerError(f"`hotline {' '.join(self.args)}` exited ({child.returncode}); log tail:\n"
                                      f"{process.tail(self.log_file)}")
            if self.ready():
                return True
            time.sleep(0.2)
        raise ControllerError(f"{self.name} not ready after {timeout:.0f}s; log tail:\n{process.tail(self.log_file)}")

    def stop(self, grace: float = 10.0) -> bool:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        process.terminate(pid, grace)
        self.pid_file.unlink(missing_ok=True)
        return True


class Controller(BackgroundCommand):
    """The controller: ready when /healthz says AMI and Redis are connected."""

    def __init__(self, settings):
        super().__init__(settings, "controller", ["serve"])
        self.url = f"http://{settings.http_host}:{settings.http_port}/healthz"

    def health(self) -> tuple[int | None, dict]:
        """(HTTP status, body) of /healthz, or (None, {}) when nothing answers."""
        try:
            response = httpx.get(self.url, timeout=2.0)
            return response.status_code, response.json()
        except (httpx.HTTPError, ValueError):
            return None, {}

    def ready(self) -> bool:
        return self.health()[0] == 200


class SupervisorProcess(BackgroundCommand):
    """`hotline supervise`: runs the controller and the ASR workers, restarting either when it exits."""

    def __init__(self, settings):
        super().__init__(settings, "supervisor", ["supervise"])

    def ready(self) -> bool:
        return Controller(self.settings).ready() and AsrWorkers(self.settings).pid() is not None


class AsrWorkers(BackgroundCommand):
    """`hotline asr worker --processes N`: transcribes recordings onto draft tickets."""

    def __init__(self, settings, processes: int = 1):
        super().__init__(settings, "asr-worker", ["asr", "worker", "--processes", str(processes)])

    def pid(self) -> int | None:
        return process.read_pid(self.pid_file, "hotline.cli asr worker")
