"""The one way the application opens Redis: a plain server (host, port, password) or, with
`redis_sentinels` set, whichever server the Sentinels name as primary of `redis_sentinel_master`."""
from __future__ import annotations

import functools
import hashlib

import redis.asyncio as aioredis
from redis import __version__ as redis_version, exceptions as redis_errors
from redis.asyncio.connection import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.backoff import ExponentialBackoff
from redis.driver_info import DriverInfo

from hotline.core.redis_wire import wire_for

# named once: without it each new pooled connection asks importlib.metadata for redis-py's version (~2.5 % of
# the controller's CPU while the pool grew at 1,000 calls: docs/performance.md, capacity)
DRIVER = DriverInfo(name="redis-py", lib_version=redis_version)


def parse_sentinels(text: str) -> list[tuple[str, int]]:
    """'10.0.0.1:26379,10.0.0.2:26379' → [(host, port), ...]; a clear ValueError on anything else."""
    sentinels = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"Redis sentinel {item!r} is not host:port")
        sentinels.append((host, int(port)))
    return sentinels


class PrimaryFollowingConnection(SentinelManagedConnection):
    """Asks the Sentinels for the primary on every socket connect. redis-py (8.1) reconnects a connection
    that dropped mid-command through `connect_check_health`, which reuses the address it had: after a
    failover every retry went to the dead primary (redis/redis-py#3874)."""

    async def _connect(self):
        if self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        await super()._connect()


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel discovery with a bounded pool that waits for a free connection instead of failing."""


def redis_client(settings, decode_responses: bool = True) -> aioredis.Redis:
    """A pooled redis.asyncio client. Pooled connections die with a Redis restart or a failover: a command
    retries on a fresh connection (which asks the Sentinels again) instead of failing the call. Behind
    Sentinels the retries span ~7 s, longer than a failover (down-after 2 s + election + promotion).
    The pool is bounded (`redis_max_connections`) and a command waits up to `redis_pool_timeout` for a
    free connection: under a burst of calls, waiting beats redis-py's MaxConnectionsError."""
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    sentinels = parse_sentinels(settings.redis_sentinels)
    options = dict(decode_responses=decode_responses, password=password, socket_connect_timeout=2.0,
                   retry=Retry(ExponentialBackoff(cap=1.0), 12 if sentinels else 3),
                   retry_on_error=[redis_errors.ConnectionError],
                   max_connections=settings.redis_max_connections, timeout=settings.redis_pool_timeout,
                   driver_info=DRIVER)
    if not sentinels:
        return aioredis.Redis.from_pool(BlockingConnectionPool(
            host=settings.redis_host, port=settings.redis_port, db=0, **options))
    # the Sentinels themselves answer without a password (they listen on the hotline's private network)
    sentinel = Sentinel(sentinels, sentinel_kwargs={"socket_connect_timeout": 1.0, "socket_timeout": 1.0})
    return sentinel.master_for(settings.redis_sentinel_master, connection_pool_class=BlockingSentinelPool,
                               connection_class=PrimaryFollowingConnection, **options)


@functools.cache
def _sha1(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


async def run_script(redis, script: str, numkeys: int, *keys_and_args):
    """EVALSHA, loading the script with EVAL the first time a server has not seen it: EVAL sends the whole
    source on every call and Redis hashes it again (two scripts per draft ticket at a busy hour). On the
    client's wire (hotline/core/redis_wire.py): ~5 times less CPU per call than through redis-py's pool."""
    wire = wire_for(redis)
    (reply,) = await wire.execute([("EVALSHA", _sha1(script), numkeys, *keys_and_args)])
    if isinstance(reply, redis_errors.ResponseError) and str(reply).startswith("NOSCRIPT"):
        (reply,) = await wire.execute([("EVAL", script, numkeys, *keys_and_args)])
    if isinstance(reply, Exception):
        raise reply
    return reply
