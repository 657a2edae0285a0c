"""Unit fixtures shared by every feature: one throwaway redis-server on a unix socket for the session
(no port to collide with other instances), a client on a flushed database for each test, and the fake
AMI server (telephony.ami.testing) on a real socket."""
from __future__ import annotations

import shutil

import pytest
import redis.asyncio as aioredis

from hotline.core.redis_server import throwaway_redis
from telephony.ami.testing import FakeAmiServer


@pytest.fixture(scope="session")
def unit_redis_socket(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    with throwaway_redis(tmp_path_factory.mktemp("unit-redis")) as sock:
        yield sock


@pytest.fixture
async def unit_redis(unit_redis_socket):
    """redis.asyncio client (decode_responses) on an empty database."""
    client = aioredis.Redis(unix_socket_path=str(unit_redis_socket), decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def fake_ami():
    server = await FakeAmiServer().start()
    yield server
    await server.stop()
