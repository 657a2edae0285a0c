"""The project-owned Redis server: AOF keeps data across down/up."""
import pytest
import redis as sync_redis

from hotline.core.redis_server import RedisServer

pytestmark = pytest.mark.integration


def test_aof_keeps_a_key_across_down_and_up(settings, redis_server):
    server = RedisServer(settings)
    client = sync_redis.Redis.from_url(redis_server, decode_responses=True)
    client.set("hotline:test:aof", "持久")
    assert server.down() is True
    assert not server.ping()
    assert server.up() is True
    assert client.get("hotline:test:aof") == "持久"
    client.delete("hotline:test:aof")
    assert (server.data_dir / "appendonlydir").is_dir()


def test_up_is_idempotent(settings, redis_server):
    server = RedisServer(settings)
    pid = server.pid()
    assert server.up() is False and server.pid() == pid


async def test_redis_fixture_gives_an_empty_decoded_db(redis):
    assert await redis.dbsize() == 0
    await redis.set("hotline:test:k", "值")
    assert await redis.get("hotline:test:k") == "值"
