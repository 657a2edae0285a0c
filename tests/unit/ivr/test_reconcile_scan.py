"""The reconciler reads only the calls since the last unsettled one, and the whole window every
FULL_SCAN_EVERY rounds: a journal that reached Redis late (from the spool) still gets its ticket."""
from __future__ import annotations

import time

import pytest

from ivr import reconcile
from ivr.intake import Intake
from ivr.journal import Journal, SpooledJournal
from ivr.reconcile import Reconciler
from ivr.spool import Spool


class NoAmi:
    connected = False


class CountingRedis:
    """The unit Redis, counting the calls each round reads."""

    def __init__(self, redis):
        self.redis, self.read = redis, []

    def __getattr__(self, name):
        return getattr(self.redis, name)

    async def zrangebyscore(self, *args, **kwargs):
        found = await self.redis.zrangebyscore(*args, **kwargs)
        self.read.append(len(found))
        return found


@pytest.fixture
def rig(unit_redis, tmp_path):
    journal = Journal(unit_redis)
    spool = Spool(tmp_path / "spool" / "calls.jsonl")
    opened = []

    async def open_ticket(draft: dict) -> dict:
        opened.append(draft["call_id"])
        return {"id": f"T-{draft['call_id']}"}
    counting = CountingRedis(unit_redis)
    reconciler = Reconciler(NoAmi(), SpooledJournal(journal, spool), Intake(unit_redis, journal, spool, open_ticket),
                            counting, recording_path=lambda c: tmp_path / f"{c}.wav", busy=set, settle_seconds=1)
    return journal, reconciler, counting, opened


async def routed_call(journal: Journal, call_id: str, started: float, ticket: bool) -> None:
    await journal.open(call_id, caller="13800000001", started_at=started, menu_version=1)
    await journal.update(call_id, route="tourism", **({"ticket_id": f"T-{call_id}"} if ticket else {}))


async def test_settled_calls_are_not_read_again_and_a_late_journal_is_found_by_the_full_scan(rig):
    journal, reconciler, counting, opened = rig
    now = time.time()
    for n in range(5):
        await routed_call(journal, f"old{n}", now - 300 + n, ticket=True)
    await reconciler.run_once()                       # the first round reads the whole window
    assert counting.read == [5] and opened == []
    await routed_call(journal, "late", now - 200, ticket=False)   # its journal came from the spool just now
    await reconciler.run_once()
    assert counting.read[-1] == 0 and opened == []    # after the last settled call: nothing to read
    for _ in range(reconcile.FULL_SCAN_EVERY - 2):    # rounds 3 … FULL_SCAN_EVERY: still after it
        await reconciler.run_once()
    assert opened == []
    await reconciler.run_once()                       # the next full scan
    assert opened == ["late"] and counting.read[-1] == 6
