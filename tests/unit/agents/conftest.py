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
import yaml

from hotline.agents.users import hash_password

PASSWORDS = {"agent1": "pw-agent1", "agent2": "pw-agent2", "supervisor": "pw-sup", "admin": "pw-admin"}


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


def write_users(path: Path, count_agents: int = 2, **extra) -> Path:
    users = [{"username": f"agent{n}", "display_name": f"坐席{n}", "role": "agent", "endpoint": f"agent{n}",
              "queues": ["general"], "password_hash": hash_password(PASSWORDS.get(f"agent{n}", f"pw-agent{n}"), 1000)}
             for n in range(1, count_agents + 1)]
    users += [{"username": "supervisor", "display_name": "班长", "role": "supervisor",
               "password_hash": hash_password(PASSWORDS["supervisor"], 1000)},
              {"username": "admin", "display_name": "管理员", "role": "admin",
               "password_hash": hash_password(PASSWORDS["admin"], 1000)}]
    path.write_text(yaml.safe_dump({"users": users, **extra}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def users_yaml(tmp_path, monkeypatch):
    path = write_users(tmp_path / "users.yaml")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return path


@pytest.fixture
def runtime(agents_redis):
    return SimpleNamespace(redis=agents_redis, settings=None, ami=None)
