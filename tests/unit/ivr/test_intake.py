"""Intake: the caller gets the ticket id as soon as the ticket exists; the journal's copy of it is written
behind (spooled like every intake write), and `written()` waits for it."""
from __future__ import annotations

import asyncio

from ivr.intake import Intake
from ivr.journal import Journal
from ivr.spool import Spool


class SlowJournal(Journal):
    """The journal's batch is slow (a busy hour): its updates wait for `release`."""

    def __init__(self, redis):
        super().__init__(redis)
        self.release = asyncio.Event()

    async def update(self, call_id, **fields):
        await self.release.wait()
        return await super().update(call_id, **fields)


async def test_the_ticket_id_comes_back_before_the_journal_has_it_and_written_waits_for_it(unit_redis, tmp_path):
    journal = SlowJournal(unit_redis)
    await journal.open("c1", caller="13800000001", started_at=1.0, menu_version=1)

    async def open_ticket(draft: dict) -> dict:
        return {"id": f"T-{draft['call_id']}"}
    intake = Intake(unit_redis, journal, Spool(tmp_path / "spool" / "calls.jsonl"), open_ticket)
    assert await asyncio.wait_for(intake.ticket({"call_id": "c1"}), 1) == "T-c1"
    assert not (await journal.summary("c1")).get("ticket_id")
    waiting = asyncio.ensure_future(intake.written("c1"))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    journal.release.set()
    await asyncio.wait_for(waiting, 1)
    assert (await journal.summary("c1"))["ticket_id"] == "T-c1"
    await intake.written("c1")   # nothing left behind: returns at once
