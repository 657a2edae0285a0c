"""A call's intake: its draft ticket, then its ASR job. Both go through the spool, so a Redis outage delays them
but loses neither; the call flow and the reconciler (calls the flow did not finish) share this one path."""
from __future__ import annotations

import time

from hotline.core import keys
from ivr.journal import Journal
from ivr.ports import TicketOpener
from ivr.spool import Spool

RECORDINGS_STREAM = keys.RECORDINGS.pattern
RECORDINGS_STREAM_MAXLEN = 100_000


class Intake:
    def __init__(self, redis, journal: Journal, spool: Spool, open_ticket: TicketOpener) -> None:
        self.redis, self.journal, self.spool, self.open_ticket = redis, journal, spool, open_ticket
        spool.register("intake.ticket", self._ticket)
        spool.register("intake.asr_job", self._asr_job)

    async def ticket(self, draft: dict) -> str | None:
        """The ticket id, or None while the draft waits in the spool (it is opened when Redis is back)."""
        return await self.spool.run("intake.ticket", draft=draft)

    async def asr_job(self, call_id: str, path: str, caller: str, route: str) -> None:
        job = {"call_id": call_id, "path": path, "caller": caller, "route": route, "recorded_at": str(time.time())}
        await self.spool.run("intake.asr_job", job=job)

    async def _ticket(self, draft: dict) -> str:
        ticket = await self.open_ticket(draft)
        await self.journal.update(draft["call_id"], ticket_id=ticket["id"])
        return ticket["id"]

    async def _asr_job(self, job: dict) -> None:
        await self.redis.xadd(RECORDINGS_STREAM, job, maxlen=RECORDINGS_STREAM_MAXLEN, approximate=True)
        # the reconciler's mark: a recording with a ticket but without this never reached the ASR worker
        await self.journal.update(job["call_id"], asr_job_at=round(time.time(), 3))
        await self.journal.record(job["call_id"], "asr_job_published")
