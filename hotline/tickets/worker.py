"""ASR job consumer: hotline:recordings -> one pass's transcript + classification on the call's ticket.

Each pass (hotline/tickets/passes.py: `fast` keywords in group `asr`, `hanzi` 汉字 text in group `asr-hanzi`)
is its own consumer group on the same stream, with the same guarantees:

At-least-once delivery made exactly-once per call: a job is XACKed only after its ticket is written, a
redelivered job whose ticket already has a transcript is acked without work, and jobs left pending by a
dead consumer are taken over with XAUTOCLAIM once idle for `claim_idle` seconds. Bad audio never stops
the worker: it is recorded on the ticket (no_speech / error) and the job is acked. A job that raises is
recorded on the ticket (failed, with the reason), left pending to be retried after `claim_idle`, and
dead-lettered after `max_attempts` (hotline.tickets.jobs); the other jobs go on. When Redis goes away the
worker waits and reconnects (jittered exponential backoff) instead of exiting.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time

from redis.backoff import EqualJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError, ResponseError, TimeoutError as RedisTimeoutError

from hotline.core.lines import LineCatalogue, load_lines
from hotline.core.logging import log_event, mask_number
from hotline.tickets import jobs, service, store
from hotline.tickets.jobs import GROUP, STREAM
from hotline.tickets.model import FINAL_STATUSES, RETRYABLE, clip
from hotline.tickets.passes import PASSES

log = logging.getLogger("hotline.tickets.worker")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError)


def default_consumer() -> str:
    # host + pid alone repeat across containers (host networking shares the hostname, every worker is pid 7)
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(2).hex()}"


def load_engine_or_reason(settings, pass_name: str = "fast"):
    """(engine, None) or (None, reason) when the pass's model is missing/broken; logged once, clearly."""
    from asr.base import AsrError
    from asr.engines import load_engine
    from hotline.tickets.taxonomy import spotting_keywords

    engine_name = getattr(settings, PASSES[pass_name].engine_setting)
    try:
        return load_engine(settings, spotting_keywords() + list(settings.asr_hotwords), engine_name), None
    except AsrError as exc:
        log_event(log, "ASR engine unavailable: tickets will say 'transcript unavailable'",
                  logging.ERROR, error=str(exc), asr_pass=pass_name, engine=engine_name)
        return None, str(exc)


async def ensure_group(redis, group: str = GROUP) -> None:
    try:
        await redis.xgroup_create(STREAM, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def transcribe(engine, path: str) -> dict:
    """Run the engine; bad audio becomes a transcript with status error, never an exception."""
    from asr.audio import AudioError, EmptyAudioError
    from asr.base import AsrError

    try:
        return engine.transcribe_file(path).to_dict()
    except EmptyAudioError as exc:  # the caller said nothing and Asterisk trimmed the silence away
        return {"status": "no_speech", "error": str(exc)}
    except AudioError as exc:
        return {"status": "error", "error": str(exc)}
    except AsrError as exc:
        return {"status": "unavailable", "error": str(exc)}
    except (OSError, ValueError, RuntimeError) as exc:  # the engine's own failures on odd input
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"}


class Worker:
    def __init__(self, redis, engine, consumer: str, *, lines: LineCatalogue, unavailable_reason: str | None = None,
                 claim_idle: float = 60.0, block_seconds: float = 2.0, max_attempts: int = 3,
                 reconnect_cap: float = 10.0, pass_name: str = "fast"):
        self.redis, self.engine, self.consumer, self.lines = redis, engine, consumer, lines
        self.pass_ = PASSES[pass_name]
        self.group = self.pass_.group
        self.unavailable_reason = unavailable_reason or "no ASR engine loaded"
        self.claim_idle_ms = int(claim_idle * 1000)
        self.block_ms = int(block_seconds * 1000)
        self.max_attempts = max_attempts
        self.backoff = EqualJitterBackoff(cap=reconnect_cap, base=0.5)
        self.stopping = False
        self.handled = self.failed = self.reconnects = 0

    async def run(self) -> None:
        """Consume until stopped; Redis going away means wait and reconnect, never exit."""
        outages = 0
        while not self.stopping:
            try:
                await ensure_group(self.redis, self.group)
                log_event(log, "ASR worker consuming", stream=STREAM, group=self.group, consumer=self.consumer,
                          engine=getattr(self.engine, "name", None), reconnects=self.reconnects)
                await self._drain("0")  # our own pending jobs (a previous life, or cut off by the outage)
                outages = 0
                while not self.stopping:
                    await self.step()
            except ResponseError as exc:  # a Redis that came back empty has no consumer group: make it again
                if "NOGROUP" not in str(exc) and "no longer exists" not in str(exc):
                    raise
                log_event(log, "ASR consumer group missing, creating it again", logging.WARNING)
            except REDIS_DOWN as exc:
                delay = self.backoff.compute(outages)
                outages, self.reconnects = outages + 1, self.reconnects + 1
                log_event(log, "Redis unavailable, ASR worker reconnecting", logging.WARNING,
                          error=clip(exc, 200), retry_in=round(delay, 2), consumer=self.consumer)
                await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            await asyncio.sleep(min(0.2, deadline - time.monotonic()))

    async def step(self) -> None:
        """One round: a job a dead consumer left behind, else wait (up to block_seconds) for a new one."""
        if not await self._reclaim():
            await self._drain(">", block=True)

    async def _drain(self, start: str, block: bool = False) -> None:
        count = 1 if block else 100  # "0": every job still pending under our name
        reply = await self.redis.xreadgroup(self.group, self.consumer, {STREAM: start}, count=count,
                                            block=self.block_ms if block else None)
        for _stream, messages in reply or []:
            for message_id, fields in messages:
                await self.handle(message_id, fields)

    async def _reclaim(self) -> bool:
        """Take over one job a dead (or stuck) consumer left pending; True if there was one."""
        reply = await self.redis.xautoclaim(STREAM, self.group, self.consumer, self.claim_idle_ms, "0-0", count=1)
        claimed = reply[1] if reply else []
        for message_id, fields in claimed:
            log_event(log, "reclaimed ASR job", message_id=message_id, consumer=self.consumer, asr_pass=self.pass_.name)
            await self.handle(message_id, fields)
        return bool(claimed)

    async def handle(self, message_id: str, fields: dict | None) -> None:
        """One job, isolated: whatever it raises (Redis outages aside) is recorded and the worker goes on."""
        try:
            await self._handle(message_id, fields or {})
        except REDIS_DOWN:
            raise
        except Exception as exc:  # a bad job: on the ticket, retried after claim_idle, then dead-lettered
            self.failed += 1
            await jobs.fail(self.redis, message_id, fields or {}, f"{type(exc).__name__}: {clip(exc, 300)}",
                            self.max_attempts, lines=self.lines, group=self.group, pass_name=self.pass_.name)

    async def _handle(self, message_id: str, fields: dict) -> None:
        call_id = fields.get("call_id")
        if not call_id:
            log_event(log, "ASR job without call_id dropped", logging.WARNING, message_id=message_id, fields=sorted(fields))
        elif await self._already_done(call_id):
            log_event(log, "ASR job already done", call_id=call_id, message_id=message_id, asr_pass=self.pass_.name)
        else:
            await self._attach(message_id, call_id, fields)
        await self.redis.xack(STREAM, self.group, message_id)
        self.handled += 1

    async def _attach(self, message_id: str, call_id: str, fields: dict) -> None:
        transcript = await self._transcript(fields)
        try:
            await service.attach_transcript(self.redis, call_id, transcript, call=fields, pass_name=self.pass_.name,
                                            lines=self.lines)
        except service.TicketInvalid as exc:   # e.g. a route no line has: redelivering would not fix it
            log_event(log, "ASR job refused", logging.ERROR, call_id=call_id, message_id=message_id, error=str(exc))
            return
        log_event(log, "ASR job done", call_id=call_id, caller=mask_number(fields.get("caller")),
                  status=transcript.get("status") or ("no_speech" if transcript.get("no_speech") else "done"),
                  latency=_latency(fields))

    async def _already_done(self, call_id: str) -> bool:
        ticket_id = await store.id_for_call(self.redis, call_id)
        if not ticket_id:
            return False
        ticket = await store.load(self.redis, ticket_id)
        # a ticket the agent already submitted needs no late pass (and a new group replays old jobs)
        return getattr(ticket, self.pass_.field).status not in RETRYABLE or ticket.status in FINAL_STATUSES

    async def _transcript(self, fields: dict) -> dict:
        if self.engine is None:
            return {"status": "unavailable", "error": f"transcript unavailable: {self.unavailable_reason}"}
        if not fields.get("path"):
            return {"status": "error", "error": "ASR job has no recording path"}
        return await asyncio.to_thread(transcribe, self.engine, fields["path"])


def _latency(fields: dict) -> float | None:
    try:
        return round(time.time() - float(fields["recorded_at"]), 3)
    except (KeyError, TypeError, ValueError):
        return None


async def run_worker(settings, consumer: str, claim_idle: float, pass_name: str = "fast",
                     max_attempts: int = 3) -> None:
    from hotline.core.redis_client import redis_client

    engine, reason = load_engine_or_reason(settings, pass_name)
    client = redis_client(settings)
    worker = Worker(client, engine, consumer, lines=load_lines(settings.queues_file), unavailable_reason=reason,
                    claim_idle=claim_idle, max_attempts=max_attempts, pass_name=pass_name)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(worker, "stopping", True))
    try:
        await worker.run()
    finally:
        await client.aclose()
        log_event(log, "ASR worker stopped", consumer=consumer, asr_pass=pass_name, handled=worker.handled)
