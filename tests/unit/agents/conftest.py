"""Unit fixtures for hotline.agents: a throwaway redis-server on a unix socket (no port to collide on),
a small users.yaml with cheap hashes, and the agents router mounted on a bare FastAPI app."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis.asyncio as aioredis

from agents_users import write_users


@pytest.fixture(scope="session")
def redis_socket(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    workdir = tmp_path_factory.mktemp("agents-redis")
    sock = workdir / "redis.sock"
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    yield sock
    proc.terminate()
    proc.wait(5)


@pytest.fixture
async def agents_redis(redis_socket):
    client = aioredis.Redis(unix_socket_path=str(redis_socket), decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def users_yaml(tmp_path, monkeypatch):
    path = write_users(tmp_path / "users.yaml")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return path


@pytest.fixture
def runtime(agents_redis):
    return SimpleNamespace(redis=agents_redis, settings=None, ami=None, features={})
