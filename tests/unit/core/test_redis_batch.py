"""Writes that arrive together share one pipeline; each writer still hears only its own outcome."""
import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from hotline.core.redis_batch import BatchedWriter


async def test_writes_arriving_together_take_one_round_trip(unit_redis):
    writer = BatchedWriter(unit_redis)
    results = await asyncio.gather(*(writer.write(lambda p, i=i: p.rpush("k", i)) for i in range(50)))
    assert writer.round_trips == 1
    assert await unit_redis.lrange("k", 0, -1) == [str(i) for i in range(50)]   # in the order written
    assert [r[0] for r in results] == list(range(1, 51))


async def test_writes_during_a_round_trip_go_in_the_next_one(unit_redis):
    writer = BatchedWriter(unit_redis, max_writes=10)
    await asyncio.gather(*(writer.write(lambda p, i=i: p.set(f"k{i}", i)) for i in range(25)))
    assert writer.round_trips == 3
    assert await unit_redis.get("k24") == "24"


async def test_a_failing_command_fails_only_its_writer(unit_redis):
    await unit_redis.set("text", "not a list")
    writer = BatchedWriter(unit_redis)
    good = writer.write(lambda p: p.rpush("list", "a"))
    bad = writer.write(lambda p: p.rpush("text", "b"))   # WRONGTYPE
    after = writer.write(lambda p: p.rpush("list", "c"))
    outcomes = await asyncio.gather(good, bad, after, return_exceptions=True)
    assert isinstance(outcomes[1], ResponseError)
    assert outcomes[0] == [1] and outcomes[2] == [2]
    assert await unit_redis.lrange("list", 0, -1) == ["a", "c"]


async def test_a_writer_whose_build_raises_adds_nothing(unit_redis):
    writer = BatchedWriter(unit_redis)

    def half_then_raise(pipe):
        pipe.set("half", 1)
        raise ValueError("bad data")
    outcomes = await asyncio.gather(writer.write(half_then_raise), writer.write(lambda p: p.set("other", 1)),
                                    return_exceptions=True)
    assert isinstance(outcomes[0], ValueError) and outcomes[1] == [True]
    assert await unit_redis.get("half") is None


async def test_redis_away_fails_every_writer_of_the_batch_and_the_next_write_tries_again(unit_redis_socket):
    down = aioredis.Redis(unix_socket_path="/nonexistent/redis.sock", decode_responses=True)
    writer = BatchedWriter(down)
    outcomes = await asyncio.gather(*(writer.write(lambda p: p.set("x", 1)) for _ in range(3)),
                                    return_exceptions=True)
    assert all(isinstance(o, (ConnectionError, OSError)) or "connect" in repr(o).lower() for o in outcomes)
    writer.redis = aioredis.Redis(unix_socket_path=str(unit_redis_socket), decode_responses=True)
    assert await writer.write(lambda p: p.set("x", 1)) == [True]
    await down.aclose()
    await writer.redis.aclose()


async def test_a_writer_that_stops_waiting_does_not_stop_the_others(unit_redis):
    writer = BatchedWriter(unit_redis)
    impatient = asyncio.ensure_future(writer.write(lambda p: p.set("a", 1)))
    patient = asyncio.ensure_future(writer.write(lambda p: p.set("b", 1)))
    impatient.cancel()
    assert await patient == [True]
    with pytest.raises(asyncio.CancelledError):
        await impatient
