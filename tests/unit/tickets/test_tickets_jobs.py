"""A bad ASR job never blocks the others (issue 10 item 3): failure on the ticket, retries, dead-letter,
`retry`; and a caller who left no description gets a ticket that says so."""
import asyncio
import json
import time

from hotline.tickets import jobs, service, store
from hotline.tickets.jobs import DEAD_STREAM, GROUP, STREAM
from hotline.tickets.worker import Worker, ensure_group

from helpers import shipped_lines

LINES = shipped_lines()


class Result:
    def __init__(self, path):
        self.path = path

    def to_dict(self):
        return {"engine": "fake", "model": "m", "text": "", "pinyin": "nuǎn qì bù rè", "keywords": [],
                "confidence": 0.9, "audio_seconds": 3.0, "processing_seconds": 0.1, "no_speech": False}


class Engine:
    name = "fake"

    def __init__(self, bad=()):
        self.bad = set(bad)

    def transcribe_file(self, path):
        if str(path) in self.bad:
            raise KeyError("engine bug on this file")  # not an audio/engine error the worker knows
        return Result(path)


async def publish(redis, call_id, path=None):
    return await redis.xadd(STREAM, {"call_id": call_id, "path": path or f"/rec/{call_id}.wav",
                                     "caller": "13812345678", "route": "general", "recorded_at": time.time()})


async def ticket(redis, call_id):
    return await service.get_ticket(redis, await store.id_for_call(redis, call_id))


async def steps(worker, until, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        await worker.step()
    assert until()


async def test_a_job_that_raises_is_recorded_retried_dead_lettered_and_the_rest_go_on(unit_redis):
    await ensure_group(unit_redis)
    for call_id in ("before", "bad", "after"):
        await publish(unit_redis, call_id)
    worker = Worker(unit_redis, Engine(bad={"/rec/bad.wav"}), "w1", lines=LINES, claim_idle=0.05, block_seconds=0.05, max_attempts=3)
    await steps(worker, lambda: worker.handled == 2 and worker.failed == 1)
    assert (await ticket(unit_redis, "before"))["transcript"]["status"] == "done"
    assert (await ticket(unit_redis, "after"))["transcript"]["status"] == "done"
    first = (await ticket(unit_redis, "bad"))["transcript"]
    assert first["status"] == "failed" and "KeyError" in first["error"] and "attempt 1 of 3; will retry" in first["error"]
    await steps(worker, lambda: worker.failed == 3)
    final = (await ticket(unit_redis, "bad"))["transcript"]
    assert final["status"] == "failed" and "gave up: `hotline asr retry bad`" in final["error"]
    dead = await unit_redis.xrange(DEAD_STREAM)
    assert len(dead) == 1 and dead[0][1]["call_id"] == "bad" and dead[0][1]["attempts"] == "3"
    assert (await unit_redis.xpending(STREAM, GROUP))["pending"] == 0

    worker.engine.bad.clear()  # the bug is fixed: `hotline asr retry --failed`
    assert [j["call_id"] for j in await jobs.retry_failed(unit_redis)] == ["bad"]
    assert (await ticket(unit_redis, "bad"))["transcript"]["status"] == "pending" and not await unit_redis.xrange(DEAD_STREAM)
    await steps(worker, lambda: worker.handled == 3)
    assert (await ticket(unit_redis, "bad"))["transcript"]["status"] == "done"


async def test_a_broken_ticket_fails_its_job_not_the_worker(unit_redis):
    await ensure_group(unit_redis)
    drafted = await service.open_draft(unit_redis, {"call_id": "corrupt", "caller": "1", "route": "general"}, LINES)
    await unit_redis.set(f"hotline:ticket:{drafted['id']}", "{")
    await publish(unit_redis, "corrupt")
    await publish(unit_redis, "fine")
    worker = Worker(unit_redis, Engine(), "w2", lines=LINES, claim_idle=60, block_seconds=0.05, max_attempts=1)
    await steps(worker, lambda: worker.handled == 1 and worker.failed == 1)
    assert (await ticket(unit_redis, "fine"))["transcript"]["status"] == "done"
    assert json.loads((await unit_redis.xrange(DEAD_STREAM))[0][1]["attempts"]) == 1


async def test_retry_one_ticket_by_id_or_call_id(unit_redis):
    await ensure_group(unit_redis)
    await publish(unit_redis, "again")
    worker = Worker(unit_redis, Engine(), "w3", lines=LINES, block_seconds=0.05)
    await steps(worker, lambda: worker.handled == 1)
    done = await ticket(unit_redis, "again")
    job = await jobs.retry(unit_redis, done["id"])
    assert job["path"] == "/rec/again.wav" and (await ticket(unit_redis, "again"))["transcript"]["status"] == "pending"
    await steps(worker, lambda: worker.handled == 2)
    redone = await ticket(unit_redis, "again")
    assert [a["action"] for a in redone["audit"]].count("transcribed") == 2
    await jobs.retry(unit_redis, "again")  # the call id works too
    no_recording = await service.open_draft(unit_redis, {"call_id": "mute", "caller": "1", "route": "general"}, LINES)
    try:
        await jobs.retry(unit_redis, no_recording["id"])
        raise AssertionError("a ticket without a recording cannot be retried")
    except service.TicketInvalid as exc:
        assert "no recording" in str(exc)


async def test_worker_waits_for_redis_instead_of_exiting(unit_redis):
    class Flaky:
        """The real client, but the first 3 reads fail as if Redis were restarting."""
        def __init__(self, real):
            self.real, self.failures = real, 3

        def __getattr__(self, name):
            return getattr(self.real, name)

        async def xautoclaim(self, *args, **kwargs):
            if self.failures:
                self.failures -= 1
                from redis.exceptions import ConnectionError
                raise ConnectionError("Connection refused")
            return await self.real.xautoclaim(*args, **kwargs)
    await ensure_group(unit_redis)
    await publish(unit_redis, "later")
    worker = Worker(Flaky(unit_redis), Engine(), "w4", lines=LINES, block_seconds=0.05, reconnect_cap=0.05)
    task = asyncio.create_task(worker.run())
    try:
        deadline = time.monotonic() + 10
        while worker.handled < 1 and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.02)
        assert not task.done() and worker.handled == 1 and worker.reconnects == 3
    finally:
        worker.stopping = True
        await asyncio.wait_for(task, 5)
    assert (await ticket(unit_redis, "later"))["transcript"]["status"] == "done"


async def test_a_call_without_a_description_says_so(unit_redis):
    skipped = await service.open_draft(unit_redis, {"call_id": "hash", "caller": "1", "route": "general",
                                                    "no_recording": "caller skipped the description"}, LINES)
    assert skipped["transcript"] == {**skipped["transcript"], "status": "no_recording",
                                     "error": "caller skipped the description"}


async def test_a_redis_that_lost_the_group_gets_it_back(unit_redis):
    await ensure_group(unit_redis)
    worker = Worker(unit_redis, Engine(), "w5", lines=LINES, block_seconds=0.05)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.2)
        await unit_redis.delete(STREAM)  # FLUSHALL-like: stream and group gone
        await asyncio.sleep(0.2)
        await publish(unit_redis, "regrouped")
        deadline = time.monotonic() + 5
        while worker.handled < 1 and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.02)
        assert not task.done() and worker.handled == 1
    finally:
        worker.stopping = True
        await asyncio.wait_for(task, 5)
