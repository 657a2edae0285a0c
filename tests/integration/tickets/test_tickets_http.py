"""Ticket HTTP API through the real app (httpx ASGITransport), real Redis, real agent tokens."""
from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
import yaml

from hotline.api.app import create_app
from hotline.auth.service import get_directory, issue_token
from hotline.auth.users import hash_password
from hotline.runtime import Features
from hotline.tickets import service

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


def auth(api, user):
    return {"Authorization": f"Bearer {api.tokens[user]}"}


async def test_list_show_edit_submit(api, tickets_redis):
    ticket = await service.open_draft(tickets_redis, CALL, LINES)
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
