"""Integration fixtures for tickets: a real redis-server (AOF on) at settings.redis_port that a test
may SHUTDOWN and start again, a flushed redis.asyncio client per test, and the real sherpa-onnx model."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from hotline.core.config import Settings

TEST_WAVS = Settings().asr_model_dir / "test_wavs"


class RedisProcess:
    """redis-server with appendonly on, in a directory that survives restarts."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir = port, workdir
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        if self._ping():
            raise RuntimeError(f"something already answers on port {self.port}; stop it or set HOTLINE_REDIS_PORT")
        subprocess.run(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--appendonly", "yes",
                        "--save", "", "--dir", str(self.workdir), "--daemonize", "yes",
                        "--pidfile", str(self.workdir / "redis.pid"), "--logfile", str(self.workdir / "redis.log")],
                       check=True)
        for _ in range(100):
            if self._ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start; see {self.workdir / 'redis.log'}")

    def shutdown(self) -> None:
        """SHUTDOWN (AOF flushed), like `hotline redis down`."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(b"SHUTDOWN\r\n")
                sock.recv(64)  # the server closes the connection once the AOF is flushed
        except OSError:
            pass
        for _ in range(100):
            if not self._ping():
                return
            time.sleep(0.05)

    def _ping(self) -> bool:
        try:  # a plain socket: redis-py retries refused connections with backoff
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture(scope="session")
def tickets_redis_server(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    server = RedisProcess(Settings().redis_port, tmp_path_factory.mktemp("tickets-redis"))
    server.start()
    yield server
    server.shutdown()


@pytest.fixture
async def tickets_redis(tickets_redis_server):
    client = aioredis.from_url(tickets_redis_server.url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def sherpa_engine():
    from asr.engines import load_engine
    from hotline.tickets.taxonomy import spotting_keywords

    if not TEST_WAVS.is_dir():
        pytest.skip(f"no model test_wavs at {TEST_WAVS}")
    return load_engine(Settings(asr_engine="sherpa-onnx"), keywords=spotting_keywords())
