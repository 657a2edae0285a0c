"""The reconciler reads only the calls since the last unsettled one, and the whole window in its first round
and after the spool replayed writes: a journal that reached Redis late (from the spool) still gets its ticket,
and a busy day's window is not read whole every few minutes."""
from __future__ import annotations

import asyncio
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
    for _ in range(30):                               # no replay, no full scan: only the new calls are read
        await reconciler.run_once()
    assert opened == [] and set(counting.read[1:]) == {0}
    reconciler.intake.spool.counters["replayed"] += 1   # the spool replayed writes (Redis was away)
    await reconciler.run_once()                       # the whole window again
    assert opened == ["late"] and counting.read[-1] == 6


async def test_a_restarted_reconciler_reads_from_where_the_last_one_left_off(rig, unit_redis, tmp_path):
    journal, reconciler, counting, opened = rig
    now = time.time()
    for n in range(5):
        await routed_call(journal, f"old{n}", now - 300 + n, ticket=True)
    await reconciler.run_once()
    assert counting.read == [5]
    restarted = Reconciler(NoAmi(), reconciler.journal, reconciler.intake, counting,
                           recording_path=lambda c: tmp_path / f"{c}.wav", busy=set, settle_seconds=1)
    await routed_call(journal, "new", time.time() - 0.5, ticket=False)   # came after the last round
    await asyncio.sleep(0.6)                                               # and is older than settle_seconds
    await restarted.run_once()
    assert counting.read[-1] == 1 and opened == ["new"]   # only the call after the mark, not the 5 settled ones
    other_node = Reconciler(NoAmi(), reconciler.journal, reconciler.intake, counting,
                            recording_path=lambda c: tmp_path / f"{c}.wav", busy=set, settle_seconds=1, node="b")
    await other_node.run_once()
    assert counting.read[-1] == 6   # another node has its own mark (none yet): the whole window


async def test_a_window_is_read_in_chunks_and_a_ticketed_call_without_recording_is_not_looked_up_on_disk(
        rig, monkeypatch, tmp_path):
    journal, reconciler, counting, opened = rig
    now, looked = time.time(), []
    monkeypatch.setattr(reconcile, "CHUNK", 2)
    for n in range(5):
        await routed_call(journal, f"c{n}", now - 300 + n, ticket=n != 3)
    reconciler.recording_path = lambda c: looked.append(c) or tmp_path / f"{c}.wav"
    await reconciler.run_once()
    assert opened == ["c3"] and set(looked) == {"c3"}   # the other four are ticketed: settled from Redis alone


class NotesAmi:
    """DBGetTree over AstDB notes `<hour>/<call id>` (Key: one hour's notes, none: all)."""
    connected = True

    def __init__(self, notes: dict[str, str]):
        self.notes, self.asked = notes, []

    async def send_action_list(self, name, Family, Key=None):
        from telephony.ami.message import Message
        self.asked.append(Key)
        return [Message({"Event": "DBGetTreeResponse", "Family": Family, "Key": key, "Val": value})
                for key, value in self.notes.items() if Key is None or key.startswith(f"{Key}/")]


async def test_a_round_reads_the_minutes_since_the_last_and_a_reconnect_reads_every_note(unit_redis, tmp_path):
    now = time.time()
    minute = lambda at: reconcile.note_minutes(at, at)[0]   # noqa: E731
    notes = {f"{minute(now - 200)}/20261128-171000-fb1": f"{now - 200}|watchdog|13800000001",
             f"{minute(now - 3 * 3600)}/20261128-140000-fb3": f"{now - 3 * 3600}|stale|"}
    journal, spool = Journal(unit_redis), Spool(tmp_path / "spool" / "calls.jsonl")

    async def open_ticket(draft: dict) -> dict:
        return {"id": f"T-{draft['call_id']}"}
    ami = NotesAmi(notes)
    reconciler = Reconciler(ami, SpooledJournal(journal, spool), Intake(unit_redis, journal, spool, open_ticket),
                            unit_redis, recording_path=lambda c: tmp_path / f"{c}.wav", busy=set)
    reconciler._notes_read_at = now - 215       # the last round, 15 s before this note
    await reconciler.fallback_calls()
    assert ami.asked == reconcile.note_minutes(now - 275, now) and len(ami.asked) in (5, 6)
    assert await unit_redis.smembers(reconcile.TAKEN) == {"20261128-171000-fb1"}
    notes[f"{minute(now)}/20261128-171500-fb2"] = f"{now}|stale|13800000002"
    await reconciler.fallback_calls()           # the next round: one or two minutes
    assert len(ami.asked) <= 8 and "20261128-171500-fb2" in await unit_redis.smembers(reconcile.TAKEN)
    await reconciler.fallback_calls(every_note=True)
    assert ami.asked[-1] is None
    assert "20261128-140000-fb3" in await unit_redis.smembers(reconcile.TAKEN)
    assert (await journal.summary("20261128-140000-fb3"))["fallback"] == "stale"


def test_prune_deletes_taken_notes_under_their_minute_and_old_notes_without_one():
    class SyncRedis:
        def __init__(self):
            self.members = {"20261128-171000-fb1", "20261127-090000-old"}

        def smembers(self, key):
            return set(self.members)

        def srem(self, key, *members):
            self.members -= set(members)
    shown = ("/hotline_fallback/202611281710/20261128-171000-fb1      : 1.0|watchdog|138\n"
             "/hotline_fallback/202611281710/20261128-171500-fb9      : 2.0|watchdog|139\n"
             "/hotline_fallback/20261127-090000-old                 : 0.5|stale|\n"
             "3 results found.\n")
    commands = []

    def cli(command):
        commands.append(command)
        return shown if command.startswith("database show") else ""
    redis = SyncRedis()
    assert reconcile.prune_taken_notes(redis, cli) == 2
    assert commands[1:] == ["database del hotline_fallback 202611281710/20261128-171000-fb1",
                            "database del hotline_fallback 20261127-090000-old"]
    assert redis.members == set()
