"""One Redis for the whole hotline, made highly available: a primary, a replica and three Sentinels (Debian
redis-server and redis-sentinel). Here all on one machine's loopback, the local model of three boxes; in
production each Sentinel sits on its own box (docs/deployment.md)."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from telephony.pbx import process


class RedisHAError(RuntimeError):
    """A Redis server or Sentinel would not start; the message names its log."""


@dataclass
class RedisHA:
    state_dir: Path
    primary_port: int
    replica_port: int
    sentinel_ports: tuple[int, ...]
    password: str
    master_name: str = "hotline"
    down_after_ms: int = 2000   # a primary silent this long is voted down (quorum 2 of 3)

    @property
    def sentinels(self) -> str:
        """The HOTLINE_REDIS_SENTINELS setting."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _dir(self, port: int) -> Path:
        return self.state_dir / f"redis-{port}"

    def _server_conf(self, port: int, replica_of: int | None) -> str:
        lines = [f"port {port}", "bind 127.0.0.1", "protected-mode yes", f"dir {self._dir(port)}",
                 "appendonly yes", "appendfsync everysec", 'save ""', f"requirepass {self.password}",
                 f"masterauth {self.password}"]  # masterauth: a demoted primary must sync from the new one
        if replica_of:
            lines.append(f"replicaof 127.0.0.1 {replica_of}")
        return "\n".join(lines) + "\n"

    def _sentinel_conf(self, port: int) -> str:
        name = self.master_name
        return "\n".join([
            f"port {port}", "bind 127.0.0.1", f"dir {self._dir(port)}",
            f"sentinel monitor {name} 127.0.0.1 {self.primary_port} 2",
            f"sentinel auth-pass {name} {self.password}",
            f"sentinel down-after-milliseconds {name} {self.down_after_ms}",
            f"sentinel failover-timeout {name} 10000", f"sentinel parallel-syncs {name} 1"]) + "\n"

    def _launch(self, port: int, conf: str, sentinel: bool = False) -> None:
        folder = self._dir(port)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / ("sentinel.conf" if sentinel else "redis.conf")
        if not (sentinel and path.exists()):   # a Sentinel rewrites its own file with what it learnt
            path.write_text(conf)
            path.chmod(0o600)
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisHAError("redis-server is missing: apt-get install redis-server redis-sentinel")
        with open(folder / "log", "ab") as log:
            child = subprocess.Popen([binary, str(path), *(["--sentinel"] if sentinel else [])],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (folder / "pid").write_text(f"{child.pid}\n")

    def pid(self, port: int) -> int | None:
        return process.read_pid(self._dir(port) / "pid", "redis-server")

    def _client(self, port: int, sentinel: bool = False) -> redis.Redis:
        return redis.Redis(port=port, password=None if sentinel else self.password, socket_timeout=1,
                           decode_responses=True)

    def _wait(self, port: int, sentinel: bool = False, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._client(port, sentinel).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RedisHAError(f"Redis on port {port} did not answer; see {self._dir(port) / 'log'}")

    def last_primary(self) -> int:
        """The primary the Sentinels saw last (they rewrite `sentinel monitor` on a failover), so a restart
        after a failover keeps the promoted server's data instead of syncing it from the old one."""
        conf = self._dir(self.sentinel_ports[0]) / "sentinel.conf"
        found = re.search(rf"^sentinel monitor {re.escape(self.master_name)} \S+ (\d+)", conf.read_text(),
                          re.MULTILINE) if conf.exists() else None
        return int(found.group(1)) if found else self.primary_port

    def up(self) -> None:
        primary = self.last_primary()
        replica = self.replica_port if primary == self.primary_port else self.primary_port
        for port, replica_of in ((primary, None), (replica, primary)):
            if self.pid(port) is None:
                self._launch(port, self._server_conf(port, replica_of))
            self._wait(port)
        for port in self.sentinel_ports:
            if self.pid(port) is None:
                self._launch(port, self._sentinel_conf(port), sentinel=True)
            self._wait(port, sentinel=True)

    def down(self) -> None:
        for port in (*self.sentinel_ports, self.replica_port, self.primary_port):
            pid = self.pid(port)
            if pid is not None:
                process.terminate(pid, grace=10)

    def kill(self, port: int) -> None:
        """SIGKILL the server on `port`: a box that dies, not one that shuts down."""
        pid = self.pid(port)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)

    def primary(self) -> int | None:
        """The port the Sentinels currently name as primary (None if none answers)."""
        for port in self.sentinel_ports:
            try:
                address = self._client(port, sentinel=True).sentinel_get_master_addr_by_name(self.master_name)
                if address:
                    return int(address[1])
            except redis.RedisError:
                continue
        return None
