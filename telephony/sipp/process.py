"""Running SIPp: scenario templates, one process per SIPp with its own work dir and event log."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import jinja2

SCENARIO_DIR = Path(__file__).with_name("scenarios")
_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SCENARIO_DIR)), undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True)


class SippError(RuntimeError):
    """SIPp is missing, or was asked something it cannot do."""


def _sipp_binary() -> str:
    binary = shutil.which("sipp")
    if binary is None:
        raise SippError("sipp is missing: run `sudo apt-get install sip-tester`")
    return binary


def _parse_log(path: Path) -> list[list[str]]:
    try:
        return [line.split(" ", 3) for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return []


class SippProcess:
    """One running SIPp; the driver's only handle to kill it."""

    def __init__(self, args: list[str], work_dir: Path):
        self.work_dir = work_dir
        self.log_file = work_dir / "events.log"
        self.screen = open(work_dir / "sipp.out", "wb")
        self.process = subprocess.Popen(args, cwd=work_dir, stdin=subprocess.DEVNULL, stdout=self.screen,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.timed_out = False

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def events(self) -> list[list[str]]:
        return _parse_log(self.log_file)

    def wait(self, timeout: float | None = None) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.kill()
            return self.process.returncode

    async def wait_async(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.running:
            if deadline is not None and time.monotonic() > deadline:
                self.timed_out = True
                self.kill()
                break
            await asyncio.sleep(0.05)
        return self.process.returncode

    def kill(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.screen.close()


def _start(scenario: str, context: dict, work_dir: Path, args: list[str]) -> SippProcess:
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "scenario.xml").write_text(_templates.get_template(scenario).render(**context), encoding="utf-8")
    base = [_sipp_binary(), "-sf", "scenario.xml", "-i", "127.0.0.1", "-nostdin", "-trace_logs",
            "-log_file", "events.log", "-trace_err", "-error_file", "errors.log", "-trace_msg",
            "-message_file", "messages.log"]
    return SippProcess(base + args, work_dir)
