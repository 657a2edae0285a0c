"""Pid-file based process handling that only ever touches the process it started."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def read_pid(pid_file: Path, cmdline_marker: str) -> int | None:
    """The live pid in pid_file, if its command line still contains cmdline_marker (no pid reuse)."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError):
        return None
    if cmdline_marker not in cmdline or not is_alive(pid):
        return None
    return pid


def is_alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (reaping it if it is our child). A leader thread shows
    "Z" while its other threads still exit (and still hold its sockets), so every thread is asked."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    return any(_thread_state(pid, task) not in ("Z", "X", None) for task in tasks)


def _thread_state(pid: int, task: str) -> str | None:
    try:
        return Path(f"/proc/{pid}/task/{task}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.1)
    return not is_alive(pid)


def terminate(pid: int, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_exit(pid, wait):
            return


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
