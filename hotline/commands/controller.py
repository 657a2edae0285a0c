"""The controller (`hotline serve`) as a background process: pid and log in the state dir."""
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


class Controller:
    def __init__(self, settings):
        self.settings = settings
        self.pid_file = Path(settings.state_dir) / "controller.pid"
        self.log_file = Path(settings.state_dir) / "logs" / "controller.log"
        self.url = f"http://{settings.http_host}:{settings.http_port}/healthz"

    def pid(self) -> int | None:
        return process.read_pid(self.pid_file, "hotline.cli serve")

    def health(self) -> tuple[int | None, dict]:
        """(HTTP status, body) of /healthz, or (None, {}) when nothing answers."""
        try:
            response = httpx.get(self.url, timeout=2.0)
            return response.status_code, response.json()
        except (httpx.HTTPError, ValueError):
            return None, {}

    def start(self, timeout: float = 30.0) -> bool:
        """Start `hotline serve` unless it runs; wait for /healthz to say ok. True if started now."""
        if self.pid() is not None:
            return False
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            child = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve"], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env=os.environ.copy())
        self.pid_file.write_text(f"{child.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise ControllerError(f"`hotline serve` exited ({child.returncode}); log tail:\n"
                                      f"{process.tail(self.log_file)}")
            if self.health()[0] == 200:
                return True
            time.sleep(0.2)
        raise ControllerError(f"{self.url} not ok after {timeout:.0f}s; log tail:\n{process.tail(self.log_file)}")

    def stop(self, grace: float = 10.0) -> bool:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        process.terminate(pid, grace)
        self.pid_file.unlink(missing_ok=True)
        return True
