"""ASR job consumer: hotline:recordings -> one pass's transcript + classification on the call's ticket.

Each pass (hotline/tickets/passes.py: `fast` keywords in group `asr`, `hanzi` 汉字 text in group `asr-hanzi`)
is its own consumer group on the same stream, with the same guarantees:

At-least-once delivery made exactly-once per call: a job is XACKed only after its ticket is written, a
redelivered job whose ticket already has a transcript is acked without work, and jobs left pending by a
dead consumer are taken over with XAUTOCLAIM once idle for `claim_idle` seconds. Bad audio never stops
the worker: it is recorded on the ticket (no_speech / error) and the job is acked.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time

from redis.exceptions import ResponseError

from hotline.core.logging import log_event, mask_number
from hotline.tickets import service, store
from hotline.tickets.passes import PASSES

log = logging.getLogger("hotline.tickets.worker")
STREAM = "hotline:recordings"
GROUP = PASSES["fast"].group


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


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
    def __init__(self, redis, engine, consumer: str, *, unavailable_reason: str | None = None,
                 claim_idle: float = 60.0, block_seconds: float = 2.0, pass_name: str = "fast"):
        self.redis, self.engine, self.consumer = redis, engine, consumer
        self.pass_ = PASSES[pass_name]
        self.group = self.pass_.group
        self.unavailable_reason = unavailable_reason or "no ASR engine loaded"
        self.claim_idle_ms = int(claim_idle * 1000)
        self.block_ms = int(block_seconds * 1000)
        self.stopping = False
        self.handled = 0

    async def run(self) -> None:
        await ensure_group(self.redis, self.group)
        log_event(log, "ASR worker consuming", stream=STREAM, group=self.group, consumer=self.consumer,
                  engine=getattr(self.engine, "name", None))
        await self._drain("0")  # our own pending jobs from a previous life under this name
        while not self.stopping:
            await self.step()

    async def step(self) -> None:
        """One round: a job a dead consumer left behind, else wait (up to block_seconds) for a new one."""
        if not await self._reclaim():
            await self._drain(">", block=True)

    async def _drain(self, start: str, block: bool = False) -> None:
        reply = await self.redis.xreadgroup(self.group, self.consumer, {STREAM: start}, count=1,
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
        fields = fields or {}
        call_id = fields.get("call_id")
        if not call_id:
            log_event(log, "ASR job without call_id dropped", logging.WARNING, message_id=message_id, fields=sorted(fields))
        elif await self._already_done(call_id):
            log_event(log, "ASR job already done", call_id=call_id, message_id=message_id, asr_pass=self.pass_.name)
        else:
            transcript = await self._transcript(fields)
            await service.attach_transcript(self.redis, call_id, transcript, call=fields, pass_name=self.pass_.name)
            log_event(log, "ASR job done", call_id=call_id, caller=mask_number(fields.get("caller")),
                      asr_pass=self.pass_.name,
                      status=transcript.get("status") or ("no_speech" if transcript.get("no_speech") else "done"),
                      latency=_latency(fields))
        await self.redis.xack(STREAM, self.group, message_id)
        self.handled += 1

    async def _already_done(self, call_id: str) -> bool:
        ticket_id = await store.id_for_call(self.redis, call_id)
        if not ticket_id:
            return False
        ticket = await store.load(self.redis, ticket_id)
        # a ticket the agent already submitted needs no late pass (and a new group replays old jobs)
        return getattr(ticket, self.pass_.field).status != "pending" or ticket.status == "submitted"

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


async def run_worker(settings, consumer: str, claim_idle: float, pass_name: str = "fast") -> None:
    import redis.asyncio as aioredis

    engine, reason = load_engine_or_reason(settings, pass_name)
    client = aioredis.from_url(settings.redis_url, decode_responses=True)
    worker = Worker(client, engine, consumer, unavailable_reason=reason, claim_idle=claim_idle, pass_name=pass_name)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(worker, "stopping", True))
    try:
        await worker.run()
    finally:
        await client.aclose()
        log_event(log, "ASR worker stopped", consumer=consumer, asr_pass=pass_name, handled=worker.handled)
