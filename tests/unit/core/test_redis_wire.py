"""One connection, many writers: commands of one loop turn leave together; each writer hears only its own outcome."""
import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError, ResponseError, TimeoutError as RedisTimeout

from hotline.core.redis_wire import RedisWire, wire_for


async def test_writers_of_one_loop_turn_share_one_socket_write_in_order(unit_redis):
    wire = wire_for(unit_redis)
    replies = await asyncio.gather(*(wire.execute([("RPUSH", "k", i)]) for i in range(50)))
    assert wire.writes == 1
    assert await unit_redis.lrange("k", 0, -1) == [str(i) for i in range(50)]   # in the order written
    assert [r[0] for r in replies] == list(range(1, 51))
    assert wire_for(unit_redis) is wire          # one wire per client


async def test_writers_do_not_wait_for_each_others_round_trip(unit_redis):
    wire = wire_for(unit_redis)
    await wire.execute([("PING",)])
    first = asyncio.ensure_future(wire.execute([("SET", "a", 1)]))
    await asyncio.sleep(0)                       # the first one's bytes are on their way
    second = asyncio.ensure_future(wire.execute([("SET", "b", 2)]))
    assert await asyncio.gather(first, second) == [["OK"], ["OK"]]
    assert wire.writes == 3


async def test_an_error_reply_is_the_writers_own(unit_redis):
    await unit_redis.set("text", "not a list")
    wire = wire_for(unit_redis)
    good = wire.execute([("RPUSH", "list", "a")])
    bad = wire.execute([("RPUSH", "text", "b"), ("RPUSH", "list", "b")])   # WRONGTYPE, then a good one
    after = wire.execute([("RPUSH", "list", "c")])
    outcomes = await asyncio.gather(good, bad, after)
    assert outcomes[0] == [1] and outcomes[2] == [3]
    assert isinstance(outcomes[1][0], ResponseError) and outcomes[1][1] == 2
    assert await unit_redis.lrange("list", 0, -1) == ["a", "b", "c"]


async def test_bad_data_fails_its_writer_before_anything_is_sent(unit_redis):
    wire = wire_for(unit_redis)
    outcomes = await asyncio.gather(wire.execute([("SET", "half", 1), ("SET", "x", None)]),
                                    wire.execute([("SET", "other", 1)]), return_exceptions=True)
    assert isinstance(outcomes[0], TypeError) and outcomes[1] == ["OK"]
    assert await unit_redis.get("half") is None


async def test_redis_away_fails_the_writers_and_the_next_command_connects_again(unit_redis):
    down = aioredis.Redis(unix_socket_path="/nonexistent/redis.sock", decode_responses=True)
    outcomes = await asyncio.gather(*(wire_for(down).execute([("SET", "x", 1)]) for _ in range(3)),
                                    return_exceptions=True)
    assert all(isinstance(o, RedisConnectionError) for o in outcomes)
    wire = wire_for(unit_redis)
    waiting = asyncio.ensure_future(wire.execute([("BLPOP", "never", 5)]))   # in flight when the line is cut
    await asyncio.sleep(0.2)
    await unit_redis.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(RedisConnectionError):
        await waiting
    assert await wire.execute([("SET", "x", 1)]) == ["OK"]
    await down.aclose()


async def test_a_writer_that_stops_waiting_does_not_stop_the_others(unit_redis):
    wire = wire_for(unit_redis)
    impatient = asyncio.ensure_future(wire.execute([("SET", "a", 1)]))
    patient = asyncio.ensure_future(wire.execute([("SET", "b", 1)]))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == ["OK"]
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_a_silent_server_is_redis_away_after_the_reply_timeout(tmp_path):
    server = await asyncio.start_unix_server(lambda r, w: None, path=str(tmp_path / "silent.sock"))
    client = aioredis.Redis(unix_socket_path=str(tmp_path / "silent.sock"))
    wire = RedisWire(client.connection_pool, reply_timeout=0.2)
    with pytest.raises(RedisTimeout):
        await asyncio.wait_for(wire.execute([("SET", "x", 1)]), 5)
    server.close()


async def test_the_password_is_sent_first(tmp_path):
    received: list[bytes] = []

    async def answer(reader, writer):   # the login is answered before anything else is sent
        while chunk := await reader.read(1024):
            received.append(chunk)
            writer.write(b"+OK\r\n")
    server = await asyncio.start_unix_server(answer, path=str(tmp_path / "auth.sock"))
    client = aioredis.Redis(unix_socket_path=str(tmp_path / "auth.sock"), password="s3cret",
                            decode_responses=True)
    assert await wire_for(client).execute([("SET", "x", 1)]) == ["OK"]
    assert b"".join(received).startswith(b"*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n")
    server.close()


async def test_a_redis_still_loading_its_data_is_away_not_a_bad_command(tmp_path):
    async def loading(reader, writer):
        while await reader.read(1024):
            writer.write(b"-LOADING Redis is loading the dataset in memory\r\n")
    server = await asyncio.start_unix_server(loading, path=str(tmp_path / "loading.sock"))
    client = aioredis.Redis(unix_socket_path=str(tmp_path / "loading.sock"), decode_responses=True)
    with pytest.raises(RedisConnectionError, match="LOADING"):   # the spool keeps the write (REDIS_AWAY)
        await wire_for(client).execute([("SET", "x", 1)])
    server.close()
