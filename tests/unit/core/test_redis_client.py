"""The one Redis client factory: plain server with password, or Sentinel discovery; bad settings refused."""
import pytest
from pydantic import ValidationError
from redis.asyncio.sentinel import SentinelConnectionPool

from hotline.core.config import Settings
from hotline.core.redis_client import PrimaryFollowingConnection, parse_sentinels, redis_client, run_script


def test_sentinel_list_is_parsed():
    assert parse_sentinels("") == []
    assert parse_sentinels("127.0.0.1:26379, redis-b:26380,") == [("127.0.0.1", 26379), ("redis-b", 26380)]


@pytest.mark.parametrize("bad", ["127.0.0.1", "host:port", ":26379", "h:0", "h:70000"])
def test_bad_sentinel_settings_are_refused_with_the_item(bad):
    with pytest.raises(ValidationError, match="not host:port"):
        Settings(redis_sentinels=f"127.0.0.1:26379,{bad}")


async def test_plain_client_carries_host_port_and_password():
    client = redis_client(Settings(redis_host="10.1.2.3", redis_port=6514, redis_password="s3cret"))
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["password"]) == ("10.1.2.3", 6514, "s3cret")
    assert "s3cret" not in repr(Settings(redis_password="s3cret"))
    await client.aclose()


async def test_sentinel_client_asks_the_sentinels_for_the_primary():
    client = redis_client(Settings(redis_sentinels="127.0.0.1:5901,127.0.0.1:5902", redis_sentinel_master="hl",
                                   redis_password="pw"))
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "hl" and pool.is_master
    assert [s.connection_pool.connection_kwargs["port"] for s in pool.sentinel_manager.sentinels] == [5901, 5902]
    assert pool.connection_kwargs["password"] == "pw" and pool.connection_class is PrimaryFollowingConnection
    await client.aclose()


async def test_pools_are_bounded_and_wait_for_a_free_connection():
    from redis.asyncio.connection import BlockingConnectionPool

    for settings in (Settings(redis_max_connections=7, redis_pool_timeout=2.5),
                     Settings(redis_max_connections=7, redis_pool_timeout=2.5, redis_sentinels="127.0.0.1:5901")):
        client = redis_client(settings)
        pool = client.connection_pool
        assert isinstance(pool, BlockingConnectionPool) and (pool.max_connections, pool.timeout) == (7, 2.5)
        await client.aclose()



async def test_run_script_loads_a_script_once_and_again_after_a_script_flush(unit_redis):
    script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
    assert await run_script(unit_redis, script, 1, "test:script", 2) == 2       # not known yet: EVAL
    assert await run_script(unit_redis, script, 1, "test:script", 3) == 5       # EVALSHA
    await unit_redis.script_flush()
    assert await run_script(unit_redis, script, 1, "test:script", 1) == 6
