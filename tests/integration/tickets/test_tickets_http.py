"""Ticket HTTP API through the real app (httpx ASGITransport), real Redis, real agent tokens."""
from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest
import yaml

from hotline.api.app import create_app
from hotline.auth.service import get_directory, issue_token
from hotline.auth.users import hash_password
from hotline.runtime import Features
from hotline.tickets import access, service

from helpers import shipped_lines

LINES = shipped_lines()

CALL = {"call_id": "http-1", "caller": "13812345678", "route": "tourism", "menu_version": "1"}


@pytest.fixture
def users_yaml(tmp_path, monkeypatch):
    users = [{"username": f"agent{n}", "display_name": f"坐席{n}", "role": "agent", "endpoint": f"agent{n}",
              "password_hash": hash_password("pw", 1000)} for n in (1, 2)]
    users.append({"username": "boss", "display_name": "班长", "role": "supervisor", "password_hash": hash_password("pw", 1000)})
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump({"users": users}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return path


@pytest.fixture
async def api(tickets_redis, users_yaml):
    app = create_app(SimpleNamespace(redis=tickets_redis, settings=None, ami=None, features=Features(), lines=LINES))
    tokens = {u: await issue_token(tickets_redis, get_directory().get(u), 600) for u in ("agent1", "agent2", "boss")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.tokens = tokens
        yield client


async def held(redis, ticket: dict, *agents: str) -> None:
    """The call's ticket was held by these agents' phones (the screen-pop reports it on AgentConnect)."""
    for agent in agents:
        assert await access.add_handler(redis, ticket["call_id"], agent)


def auth(api, user):
    return {"Authorization": f"Bearer {api.tokens[user]}"}


async def test_list_show_edit_submit(api, tickets_redis):
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
    await held(tickets_redis, ticket, "agent1", "agent2")      # agent1 transferred the call to agent2
    listed = await api.get("/api/tickets?status=draft&line=tourism", headers=auth(api, "agent1"))
    assert listed.status_code == 200 and [t["id"] for t in listed.json()["tickets"]] == [ticket["id"]]
    assert (await api.get("/api/tickets?line=business", headers=auth(api, "agent1"))).json()["count"] == 0
    shown = await api.get(f"/api/tickets/{ticket['id']}", headers=auth(api, "boss"))
    assert shown.json()["line_label"] == "文旅服务专线"
    patched = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"),
                              json={"status": "claimed", "summary": "景区导游强制购物", "request_type": "投诉"})
    assert patched.status_code == 200 and patched.json()["agent"] == "agent1"
    other = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent2"), json={"notes": "x"})
    assert other.status_code == 409 and "claimed by agent1" in other.json()["detail"]
    submitted = await api.post(f"/api/tickets/{ticket['id']}/submit", headers=auth(api, "agent1"))
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    again = await api.post(f"/api/tickets/{ticket['id']}/submit", headers=auth(api, "agent1"))
    assert again.status_code == 409 and "already submitted" in again.json()["detail"]


async def test_errors_are_clear(api, tickets_redis):
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
    await held(tickets_redis, ticket, "agent1")
    missing = await api.get("/api/tickets/T20000101-000001", headers=auth(api, "agent1"))
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    bad = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"), json={"category": "火星"})
    assert bad.status_code == 422 and "unknown category" in str(bad.json()["detail"])
    extra = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"), json={"caller": "110"})
    assert extra.status_code == 422
    incomplete = await api.post(f"/api/tickets/{ticket['id']}/submit", headers=auth(api, "agent1"))
    assert incomplete.status_code == 422 and "summary" in incomplete.json()["detail"]
    assert (await api.get("/api/tickets?status=bogus", headers=auth(api, "agent1"))).status_code == 422


async def test_auth_required_and_supervisor_read_only(api, tickets_redis):
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
    assert (await api.get("/api/tickets")).status_code == 401
    sup_write = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "boss"), json={"notes": "x"})
    assert sup_write.status_code == 403


NULLABLE_BEFORE = ("category", "summary", "address", "notes", "request_type", "urgency", "location_hints", "status")


async def test_null_or_wrong_type_is_a_422_naming_the_field_and_listing_still_works(api, tickets_redis):
    """Issue 10: {"category": null} used to store None and turn GET /api/tickets into a 500 for everyone."""
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
    await held(tickets_redis, ticket, "agent1")
    for field in NULLABLE_BEFORE:
        reply = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"), json={field: None})
        assert reply.status_code == 422, field
        assert reply.json()["detail"][0]["loc"] == ["body", field] and "null" in reply.json()["detail"][0]["msg"]
    for body in ({"summary": 12}, {"location_hints": "阳光花园"}, {"status": ["claimed"]}):
        reply = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"), json=body)
        assert reply.status_code == 422 and reply.json()["detail"][0]["loc"][1] == next(iter(body))
    listed = await api.get("/api/tickets", headers=auth(api, "agent1"))
    assert listed.status_code == 200 and listed.json()["tickets"][0]["category"] == ticket["category"]


async def test_megabyte_hints_are_refused_and_an_edit_leaves_a_compact_trail(api, tickets_redis):
    """Issue 10: 10 x 1 MB location_hints made a +10 MB ticket and +35 MB of streams per PATCH."""
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
    await held(tickets_redis, ticket, "agent1")
    huge = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"),
                           json={"location_hints": ["景" * 1_000_000] * 10})
    assert huge.status_code == 422 and huge.json()["detail"][0]["loc"][:2] == ["body", "location_hints"]
    biggest = {"location_hints": ["景" * 100] * 10, "summary": "诉" * 2000, "notes": "记" * 2000, "address": "址" * 200}
    saved = await api.patch(f"/api/tickets/{ticket['id']}", headers=auth(api, "agent1"), json=biggest)
    assert saved.status_code == 200
    entry = saved.json()["audit"][-1]
    assert set(entry["changes"]) == set(biggest) and len(json.dumps(entry, ensure_ascii=False)) < 1000
    stored = await tickets_redis.get(f"hotline:ticket:{ticket['id']}")
    assert len(stored.encode()) < 64_000  # the edit itself is ~14 KB of text; no copy in the audit trail


async def test_a_broken_stored_ticket_never_breaks_the_listing(api, tickets_redis):
    good = await service.open_draft(tickets_redis, CALL, LINES)
    broken = await service.open_draft(tickets_redis, dict(CALL, call_id="http-2"), LINES)
    await held(tickets_redis, good, "agent1")
    await held(tickets_redis, broken, "agent1")
    stored = json.loads(await tickets_redis.get(f"hotline:ticket:{broken['id']}"))
    await tickets_redis.set(f"hotline:ticket:{broken['id']}", json.dumps({**stored, "category": None, "summary": None}))
    garbage = "T20000101-999999"
    await tickets_redis.set(f"hotline:ticket:{garbage}", "{not json")
    await tickets_redis.zadd("hotline:tickets", {garbage: 2e9})
    listed = await api.get("/api/tickets", headers=auth(api, "agent1"))
    assert listed.status_code == 200
    assert {t["id"] for t in listed.json()["tickets"]} == {good["id"], broken["id"]}
    shown = await api.get(f"/api/tickets/{broken['id']}", headers=auth(api, "agent1"))
    assert shown.status_code == 200 and shown.json()["category"] == ""
    unreadable = await api.get(f"/api/tickets/{garbage}", headers=auth(api, "agent1"))
    assert unreadable.status_code == 404 and "tickets check" in unreadable.json()["detail"]
    edited = await api.patch(f"/api/tickets/{broken['id']}", headers=auth(api, "agent1"), json={"notes": "已回访"})
    assert edited.status_code == 200 and [a["action"] for a in edited.json()["audit"]][-2:] == ["repaired", "edited"]
