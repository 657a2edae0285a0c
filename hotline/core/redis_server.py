"""The project-owned Redis server: Debian redis-server on settings.redis_port, loopback only, AOF on;
and `throwaway_redis`, a private one on a unix socket for tests and benchmarks."""
from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hotline.core.logging import log_event

log = logging.getLogger("hotline.redis")


class RedisServerError(RuntimeError):
    """The Redis server cannot do what was asked; the message says why and what to do."""


@dataclass
class RedisStatus:
    running: bool
    pid: int | None
    url: str
    data_dir: Path
    log_file: Path


def _command(sock: socket.socket, *words: str) -> bytes:
    sock.sendall((f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)).encode())
    return sock.recv(4096)


class RedisServer:
    def __init__(self, settings):
        self.settings = settings
        self.data_dir = Path(settings.state_dir) / "redis"
        self.pid_file = self.data_dir / "redis.pid"
        self.log_file = Path(settings.state_dir) / "logs" / "redis.log"

    @property
    def url(self) -> str:
        return self.settings.redis_url

    def ping(self) -> bool:
        try:
            with socket.create_connection((self.settings.redis_host, self.settings.redis_port), timeout=1) as sock:
                return _command(sock, "PING").startswith(b"+PONG")
        except OSError:
            return False

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            return pid if Path(f"/proc/{pid}").exists() else None
        except (OSError, ValueError):
            return None

    def status(self) -> RedisStatus:
        return RedisStatus(self.ping(), self.pid(), self.url, self.data_dir, self.log_file)

    def up(self, timeout: float = 15.0) -> bool:
        """Start the server unless it answers already. Returns True if started by this call."""
        if self.ping():
            return False
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisServerError("redis-server is missing: run `sudo apt-get install redis-server`")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        port = str(self.settings.redis_port)
        result = subprocess.run([
            binary, "--port", port, "--bind", "127.0.0.1", "--protected-mode", "yes",
            "--dir", str(self.data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
            "--daemonize", "yes", "--pidfile", str(self.pid_file), "--logfile", str(self.log_file),
            "--save", "",  # AOF is the persistence; no RDB snapshots on top
        ], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RedisServerError(f"redis-server failed to start: {result.stderr.strip() or result.stdout.strip()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                log_event(log, "redis up", port=self.settings.redis_port, dir=str(self.data_dir))
                return True
            time.sleep(0.1)
        raise RedisServerError(f"Redis on port {port} did not answer within {timeout:.0f}s; "
                               f"see {self.log_file}")

    def down(self, timeout: float = 15.0) -> bool:
        """SHUTDOWN (the AOF stays on disk). Returns False if it was not running."""
        if not self.ping():
            return False
        try:
            address = (self.settings.redis_host, self.settings.redis_port)
            with socket.create_connection(address, timeout=timeout) as sock:
                sock.settimeout(timeout)
                _command(sock, "SHUTDOWN")  # the server closes the connection when done
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.ping() or self.pid()):
            time.sleep(0.1)
        if self.ping():
            raise RedisServerError(f"Redis on port {self.settings.redis_port} did not shut down")
        log_event(log, "redis down", port=self.settings.redis_port)
        return True


@contextmanager
def throwaway_redis(workdir: Path, timeout: float = 5.0) -> Iterator[Path]:
    """A private redis-server on a unix socket in `workdir` (no TCP port, no persistence) for tests and
    benchmarks; yields the socket path and stops the server on exit."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisServerError("redis-server is missing: run `sudo apt-get install redis-server`")
    sock = Path(workdir) / "redis.sock"
    proc = subprocess.Popen([binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RedisServerError(f"throwaway redis-server did not open {sock}")
            time.sleep(0.05)
        yield sock
    finally:
        proc.terminate()
        proc.wait(5)
