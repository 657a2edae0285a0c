"""Ticket service against a real Redis: one ticket per call under races, upserts, edits, submit, restart."""
from __future__ import annotations

import asyncio
import json

import pytest

from hotline.tickets import service
from hotline.tickets.model import REPEAT_LABEL

from helpers import shipped_lines

LINES = shipped_lines()

CALL = {"call_id": "call-1", "caller": "13812345678", "route": "business", "menu_version": "4",
        "started_at": 1_795_000_000.0, "recording_path": None}
HEAT = {"engine": "sherpa-onnx", "model": "m", "text": "", "confidence": 0.9,
        "pinyin": "wǒ zhù zài yáng guāng huā yuán xiǎo qū nuǎn qì bù rè wǒ yào tóu sù",
        "keywords": [{"word": "暖气", "pinyin": "nuǎn qì", "start": 1.2}]}


async def events(redis) -> list[dict]:
    return [fields for _id, fields in await redis.xrange("hotline:ticket-events")]


async def test_open_draft_creates_once_and_is_idempotent(tickets_redis):
    first = await service.open_draft(tickets_redis, CALL, LINES)
    again = await service.open_draft(tickets_redis, CALL, LINES)
    assert first["id"] == again["id"] and first["id"].startswith("T") and first["id"].endswith("-000001")
    assert (first["line"], first["line_label"], first["status"]) == ("business", "企业服务", "draft")
    assert first["transcript"]["status"] == "pending" and first["caller"] == "13812345678"
    assert await tickets_redis.get("hotline:ticket-by-call:call-1") == first["id"]
    assert [e["kind"] for e in await events(tickets_redis)] == ["created"]


async def test_racing_open_and_attach_make_exactly_one_ticket(tickets_redis):
    calls = [dict(CALL, call_id=f"race-{n}") for n in range(10)]
    jobs = []
    for call in calls:
        jobs += [service.open_draft(tickets_redis, call, LINES) for _ in range(3)]
        jobs += [service.attach_transcript(tickets_redis, call["call_id"], HEAT, call, lines=LINES) for _ in range(2)]
    results = await asyncio.gather(*jobs)
    by_call: dict[str, set] = {}
    for ticket in results:
        by_call.setdefault(ticket["call_id"], set()).add(ticket["id"])
    assert all(len(ids) == 1 for ids in by_call.values()) and len(by_call) == 10
    assert await tickets_redis.zcard("hotline:tickets") == 10
    kinds = [e["kind"] for e in await events(tickets_redis)]
    assert kinds.count("created") == 10
    for call in calls:
        ticket = await service.get_ticket(tickets_redis, await tickets_redis.get(f"hotline:ticket-by-call:{call['call_id']}"))
        assert ticket["transcript"]["status"] == "done" and ticket["menu_version"] == "4"


async def test_transcript_before_open_draft_then_call_details_fill_in(tickets_redis):
    job = {"caller": "13812345678", "route": "general", "path": "/rec/call-2.wav", "recorded_at": "1795000010.5"}
    ticket = await service.attach_transcript(tickets_redis, "call-2", HEAT, job, lines=LINES)
    assert (ticket["category"], ticket["request_type"]) == ("供暖", "投诉")
    assert ticket["location_hints"] == ["yáng guāng huā yuán xiǎo qū"] and ticket["recording_path"] == "/rec/call-2.wav"
    opened = await service.open_draft(tickets_redis, dict(CALL, call_id="call-2"), LINES)
    assert opened["id"] == ticket["id"] and opened["menu_version"] == "4" and opened["category"] == "供暖"
    assert [a["action"] for a in opened["audit"]] == ["created", "transcribed", "call details"]
    assert [e["kind"] for e in await events(tickets_redis)] == ["created", "transcribed", "updated"]


async def test_repeat_links_same_caller_and_same_issue(tickets_redis):
    first = await service.attach_transcript(tickets_redis, "call-a", HEAT, {"caller": "13800000001"}, lines=LINES)
    neighbour = await service.attach_transcript(tickets_redis, "call-b", dict(HEAT, text="阳光花园小区暖气不热"),
                                                {"caller": "13800000002"}, lines=LINES)
    again = await service.attach_transcript(tickets_redis, "call-c", {"pinyin": "nuǎn qì hái shì bù rè"},
                                            {"caller": "13800000001"}, lines=LINES)
    assert first["repeat"]["label"] is None
    assert neighbour["repeat"] == {"same_caller_ticket_ids": [], "same_issue_ticket_ids": [first["id"]],
                                   "label": REPEAT_LABEL}
    assert again["repeat"]["same_caller_ticket_ids"] == [first["id"]]
    history = await service.tickets_for_caller(tickets_redis, "13800000001", exclude_id=again["id"])
    assert [t["id"] for t in history] == [first["id"]]


async def test_callers_without_a_number_are_not_linked_as_one_caller(tickets_redis):
    quiet = {"pinyin": "wǒ xiǎng zī xún yī xià"}
    first = await service.open_draft(tickets_redis, dict(CALL, call_id="anon-1", caller=""), LINES)
    second = await service.attach_transcript(tickets_redis, "anon-2", quiet, {"caller": ""}, lines=LINES)
    assert first["repeat"]["same_caller_ticket_ids"] == [] and second["repeat"]["same_caller_ticket_ids"] == []
    assert await service.tickets_for_caller(tickets_redis, "") == []


async def test_transcript_failures_are_recorded(tickets_redis):
    ticket = await service.mark_transcript_failed(tickets_redis, "call-3", "unavailable", "model missing", CALL,
                                                  lines=LINES)
    assert ticket["transcript"]["status"] == "unavailable" and ticket["transcript"]["error"] == "model missing"
    silent = await service.attach_transcript(tickets_redis, "call-4", {"text": "", "pinyin": "", "no_speech": True},
                                             lines=LINES)
    assert silent["transcript"]["status"] == "no_speech"
    with pytest.raises(service.TicketInvalid):
        await service.mark_transcript_failed(tickets_redis, "call-3", "done", None, lines=LINES)


async def test_agent_edit_claim_submit_and_conflicts(tickets_redis):
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
    with pytest.raises(service.TicketInvalid, match="summary"):
        await service.submit_ticket(tickets_redis, ticket["id"], "agent1")
    claimed = await service.update_ticket(tickets_redis, ticket["id"],
                                          {"status": "claimed", "summary": "营业执照办理咨询", "category": "营商/企业办事"}, "agent1")
    assert (claimed["status"], claimed["agent"]) == ("claimed", "agent1")
    with pytest.raises(service.TicketConflict, match="claimed by agent1"):
        await service.update_ticket(tickets_redis, ticket["id"], {"notes": "x"}, "agent2")
    with pytest.raises(service.TicketInvalid, match="unknown request_type"):
        await service.update_ticket(tickets_redis, ticket["id"], {"request_type": "抱怨"}, "agent1")
    with pytest.raises(service.TicketInvalid, match="Extra inputs"):
        await service.update_ticket(tickets_redis, ticket["id"], {"caller": "110"}, "agent1")
    # a transcript arriving after the agent chose the category keeps the agent's choice
    late = await service.attach_transcript(tickets_redis, "call-1", HEAT, lines=LINES)
    assert late["category"] == "营商/企业办事" and late["request_type"] == "投诉"
    done = await service.submit_ticket(tickets_redis, ticket["id"], "agent1")
    assert done["status"] == "submitted" and done["submitted_at"]
    with pytest.raises(service.TicketConflict, match="already submitted"):
        await service.submit_ticket(tickets_redis, ticket["id"], "agent1")
    with pytest.raises(service.TicketNotFound):
        await service.update_ticket(tickets_redis, "T19990101-000001", {"notes": "x"}, "agent1")
    actions = [a["action"] for a in done["audit"]]
    assert actions == ["created", "edited", "transcribed", "submitted"]
    assert [e["kind"] for e in await events(tickets_redis)][-1] == "submitted"


async def test_list_filters(tickets_redis):
    await service.open_draft(tickets_redis, dict(CALL, call_id="l1", route="tourism"), LINES)
    t2 = await service.open_draft(tickets_redis, dict(CALL, call_id="l2", route="general"), LINES)
    await service.update_ticket(tickets_redis, t2["id"], {"status": "claimed"}, "agent1")
    assert len(await service.list_tickets(tickets_redis)) == 2
    assert [t["call_id"] for t in await service.list_tickets(tickets_redis, line="tourism")] == ["l1"]
    assert [t["call_id"] for t in await service.list_tickets(tickets_redis, status="claimed")] == ["l2"]
    assert [t["call_id"] for t in await service.list_tickets(tickets_redis, category="旅游/民宿/景区")] == ["l1"]


async def test_tickets_survive_a_redis_restart(tickets_redis, tickets_redis_server):
    made = [await service.attach_transcript(tickets_redis, f"r{n}", HEAT, {"caller": "13800000009"}, lines=LINES)
            for n in range(5)]
    await tickets_redis.aclose()
    tickets_redis_server.shutdown()
    tickets_redis_server.start()
    import redis.asyncio as aioredis

    client = aioredis.from_url(tickets_redis_server.url, decode_responses=True)
    try:
        for ticket in made:
            assert await service.get_ticket(client, ticket["id"]) == json.loads(json.dumps(ticket))
        after = await service.open_draft(client, dict(CALL, call_id="r-new"), LINES)
        assert after["id"] not in {t["id"] for t in made}  # the day counter survived too
        assert await client.zcard("hotline:tickets") == 6
    finally:
        await client.aclose()
