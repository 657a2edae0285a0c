"""A call's intake: its draft ticket, then its ASR job. Both go through the spool, so a Redis outage delays them
but loses neither; the call flow and the reconciler (calls the flow did not finish) share this one path."""
from __future__ import annotations

import asyncio
import logging
import time

from hotline.core import keys
from hotline.core.logging import log_event
from hotline.core.redis_wire import call
from ivr.journal import Journal
from ivr.ports import TicketOpener
from ivr.spool import Spool

RECORDINGS_STREAM = keys.RECORDINGS.pattern
RECORDINGS_STREAM_MAXLEN = 100_000
log = logging.getLogger("ivr.intake")


class Intake:
    def __init__(self, redis, journal: Journal, spool: Spool, open_ticket: TicketOpener) -> None:
        self.redis, self.journal, self.spool, self.open_ticket = redis, journal, spool, open_ticket
        spool.register("intake.ticket", self._ticket)
        spool.register("intake.journal_ticket", self._journal_ticket)
        spool.register("intake.asr_job", self._asr_job)
        self._behind: dict[str, asyncio.Future] = {}   # call id -> its journal's ticket id, being written

    async def ticket(self, draft: dict) -> str | None:
        """The ticket id, or None while the draft waits in the spool (it is opened when Redis is back)."""
        return await self.spool.run("intake.ticket", draft=draft)

    async def asr_job(self, call_id: str, path: str, caller: str, route: str) -> None:
        job = {"call_id": call_id, "path": path, "caller": caller, "route": route, "recorded_at": str(time.time())}
        await self.spool.run("intake.asr_job", job=job)

    async def written(self, call_id: str) -> None:
        """Wait for the call's journal to have its ticket id (written behind the ticket, see _ticket)."""
        behind = self._behind.get(call_id)
        if behind is not None:
            await asyncio.gather(behind, return_exceptions=True)

    async def _ticket(self, draft: dict) -> str:
        ticket = await self.open_ticket(draft)
        # the journal's copy of the id is written behind, as its own spooled op: the caller goes on to the queue
        # meanwhile (at a busy hour this write waited up to 1.8 s for its batch: docs/performance.md, capacity)
        call_id = draft["call_id"]
        behind = self._behind[call_id] = asyncio.ensure_future(
            self.spool.run("intake.journal_ticket", call_id=call_id, ticket_id=ticket["id"]))
        behind.add_done_callback(lambda done: self._written(call_id, done))
        return ticket["id"]

    def _written(self, call_id: str, done: asyncio.Future) -> None:
        if self._behind.get(call_id) is done:
            del self._behind[call_id]
        if not done.cancelled() and done.exception() is not None:
            log_event(log, "journal ticket id not written", logging.ERROR, call_id=call_id,
                      error=repr(done.exception()))

    async def _journal_ticket(self, call_id: str, ticket_id: str) -> None:
        await self.journal.update(call_id, ticket_id=ticket_id)

    async def _asr_job(self, job: dict) -> None:
        await call(self.redis, "XADD", RECORDINGS_STREAM, "MAXLEN", "~", RECORDINGS_STREAM_MAXLEN, "*",
                   *(item for pair in job.items() for item in pair))
        # the reconciler's mark: a recording with a ticket but without this never reached the ASR worker
        await self.journal.note(job["call_id"], "asr_job_published", summary={"asr_job_at": round(time.time(), 3)})
