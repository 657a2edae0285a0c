"""Stored tickets that no longer validate (issue 10): `hotline tickets check`, the CLI listing and the ASR
worker's repeat lookup survive them; check --fix repairs or quarantines them."""
from __future__ import annotations

import asyncio
import json

import pytest
import redis as sync_redis
import redis.asyncio as aioredis
from typer.testing import CliRunner

from hotline.commands.tickets import app
from hotline.tickets import service

from helpers import empty_hotline, shipped_lines

LINES = shipped_lines()
CALL = {"call_id": "chk-1", "caller": "13812345678", "route": "general"}
HEAT = {"engine": "sherpa-onnx", "model": "m", "text": "", "confidence": 0.9,
        "pinyin": "wǒ zhù zài yáng guāng huā yuán xiǎo qū nuǎn qì bù rè wǒ yào tóu sù",
        "keywords": [{"word": "暖气", "pinyin": "nuǎn qì", "start": 1.2}]}
GARBAGE = "T20000101-999999"


@pytest.fixture
def db(tickets_redis_server, settings):
    # emptied like every hotline test's Redis: a controller still running from an earlier test would
    # otherwise ticket that test's dialplan fallback notes again into this database (and the count is exact)
    run(tickets_redis_server.url, lambda r: empty_hotline(r, settings))
    client = sync_redis.Redis.from_url(tickets_redis_server.url, decode_responses=True)
    yield client
    client.close()


def run(url, operation):
    async def go():
        client = aioredis.from_url(url, decode_responses=True)
        try:
            return await operation(client)
        finally:
            await client.aclose()
    return asyncio.run(go())


def break_ticket(db, ticket_id: str, **fields) -> None:
    db.set(f"hotline:ticket:{ticket_id}", json.dumps({**json.loads(db.get(f"hotline:ticket:{ticket_id}")), **fields}))


def test_check_reports_then_repairs_and_quarantines(db, tickets_redis_server):
    url = tickets_redis_server.url
    good = run(url, lambda r: service.open_draft(r, CALL, LINES))
    bad = run(url, lambda r: service.open_draft(r, dict(CALL, call_id="chk-2"), LINES))
    break_ticket(db, bad["id"], category=None, location_hints=["x" * 1_000_000] * 12)
    db.set(f"hotline:ticket:{GARBAGE}", "{not json")
    db.zadd("hotline:tickets", {GARBAGE: 2e9})

    report = CliRunner().invoke(app, ["check"])
    assert report.exit_code == 1, report.output
    assert f"{bad['id']}  repairable: category" in report.output and f"{GARBAGE}  beyond repair: not JSON" in report.output
    assert "3 tickets checked, 2 invalid" in report.output
    assert json.loads(db.get(f"hotline:ticket:{bad['id']}"))["category"] is None  # a report changes nothing

    fixed = CliRunner().invoke(app, ["check", "--fix"])
    assert fixed.exit_code == 0, fixed.output and "2 fixed" in fixed.output
    repaired = run(url, lambda r: service.get_ticket(r, bad["id"]))
    assert repaired["category"] == "" and len(repaired["location_hints"]) == 10 and repaired["audit"][-1]["action"] == "repaired"
    assert db.get(f"hotline:ticket-quarantine:{GARBAGE}") == "{not json" and not db.exists(f"hotline:ticket:{GARBAGE}")
    assert db.zscore("hotline:tickets", GARBAGE) is None and db.zscore("hotline:tickets:quarantined", GARBAGE)
    assert run(url, lambda r: service.get_ticket(r, good["id"]))["audit"][-1]["action"] == "created"
    assert CliRunner().invoke(app, ["check"]).exit_code == 0


def test_tickets_list_cli_survives_a_broken_ticket(db, tickets_redis_server):
    bad = run(tickets_redis_server.url, lambda r: service.open_draft(r, CALL, LINES))
    break_ticket(db, bad["id"], category=None, summary=None, status=None)
    db.set(f"hotline:ticket:{GARBAGE}", "[]")
    db.zadd("hotline:tickets", {GARBAGE: 2e9})
    listed = CliRunner().invoke(app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert bad["id"] in listed.output and GARBAGE not in listed.output


def test_repeat_lookup_survives_broken_tickets_of_the_same_caller_and_category(db, tickets_redis_server):
    """Issue 10: a later call from the same caller (or same category) crashed the ASR worker on the broken one."""
    url = tickets_redis_server.url
    earlier = run(url, lambda r: service.attach_transcript(r, "chk-1", HEAT, CALL, lines=LINES))
    break_ticket(db, earlier["id"], urgency=None, notes=None)
    db.set("hotline:ticket:T20000101-999998", "{")
    db.zadd(f"hotline:tickets:caller:{CALL['caller']}", {"T20000101-999998": 2e9})
    later = run(url, lambda r: service.attach_transcript(r, "chk-3", HEAT, dict(CALL, call_id="chk-3"), lines=LINES))
    assert later["transcript"]["status"] == "done" and later["repeat"]["same_caller_ticket_ids"] == [earlier["id"]]
