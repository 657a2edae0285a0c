"""The reconciler gives a ticketed recording its ASR job when the controller died between the two (found by
bench/soak.py: the ticket's transcript stayed `pending` for ever), and never publishes a job twice."""
from __future__ import annotations

import time

import pytest

from ivr.intake import RECORDINGS_STREAM, Intake
from ivr.journal import Journal, SpooledJournal
from ivr.reconcile import Reconciler
from ivr.spool import Spool


class NoAmi:
    connected = False      # only the journal side of the reconciler runs


@pytest.fixture
def rig(unit_redis, tmp_path):
    journal = Journal(unit_redis)
    spool = Spool(tmp_path / "spool" / "calls.jsonl")
    spooled = SpooledJournal(journal, spool)

    async def open_ticket(draft: dict) -> dict:
        return {"id": f"T-{draft['call_id']}"}
    intake = Intake(unit_redis, journal, spool, open_ticket)
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    reconciler = Reconciler(NoAmi(), spooled, intake, unit_redis, recording_path=lambda c: recordings / f"{c}.wav",
                            busy=set, settle_seconds=1)
    return journal, intake, reconciler, recordings


async def ticketed_recording(journal: Journal, recordings, call_id: str) -> None:
    """A call whose flow recorded and opened the ticket, then stopped before the ASR job."""
    await journal.open(call_id, caller="13800000001", started_at=time.time() - 60, menu_version=1)
    (recordings / f"{call_id}.wav").write_bytes(b"RIFF")
    await journal.update(call_id, recording_path=str(recordings / f"{call_id}.wav"))   # the flow: before the ticket
    await journal.update(call_id, route="tourism", ticket_id=f"T-{call_id}")


async def jobs_for(redis, call_id: str) -> list[dict]:
    return [f for _, f in await redis.xrange(RECORDINGS_STREAM) if f["call_id"] == call_id]


async def test_ticketed_recording_without_asr_job_gets_one_once(rig, unit_redis):
    journal, _, reconciler, recordings = rig
    await ticketed_recording(journal, recordings, "c1")
    await reconciler.run_once()
    await reconciler.run_once()
    jobs = await jobs_for(unit_redis, "c1")
    assert len(jobs) == 1 and jobs[0]["path"] == str(recordings / "c1.wav") and jobs[0]["route"] == "tourism"
    assert jobs[0]["caller"] == "13800000001"
    events = [e["event"] for e in (await journal.get("c1"))["events"]]
    assert "asr_job_reconciled" in events and (await journal.summary("c1"))["asr_job_at"]


async def test_published_jobs_are_not_published_again(rig, unit_redis):
    journal, intake, reconciler, recordings = rig
    await ticketed_recording(journal, recordings, "c2")
    await intake.asr_job("c2", str(recordings / "c2.wav"), "13800000001", "tourism")   # the flow did publish
    await ticketed_recording(journal, recordings, "c3")
    await unit_redis.rpush("hotline:call:c3:journal", '{"t": 1, "event": "asr_job_published"}')   # older journal
    await reconciler.run_once()
    assert len(await jobs_for(unit_redis, "c2")) == 1
    assert await jobs_for(unit_redis, "c3") == []
    assert (await journal.summary("c3"))["asr_job_at"], "marked, so it is not looked at again"
