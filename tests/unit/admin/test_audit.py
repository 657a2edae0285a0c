"""The audit trail: entries with a readable diff, filters, and who may read them."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from hotline.admin import audit
from hotline.admin.http import router as admin_router
from hotline.auth.http import router as auth_router
from hotline.runtime import Features

sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))
from agents_users import UNIT_LINES, write_users  # noqa: E402

ADMIN = audit.Actor("admin", "admin", "127.0.0.1")


def test_readable_diff_shows_changed_lines_in_chinese():
    diff = audit.readable_diff({"label": "综合服务", "max_wait": 600}, {"label": "综合热线", "max_wait": 600})
    assert '-  "label": "综合服务",' in diff and '+  "label": "综合热线",' in diff
    assert "max_wait" in diff  # context kept
    assert audit.readable_diff(None, "x") == "--- before\n+++ after\n@@ -0,0 +1 @@\n+x"


async def test_entries_newest_first_and_filtered(unit_redis):
    await audit.record(unit_redis, ADMIN, "menu.publish", "menu:2", {"a": 1}, {"a": 2}, note="改菜单")
    await audit.record(unit_redis, audit.Actor("ops", "admin", "cli"), "line.update", "line:general", 1, 2)
    await audit.record(unit_redis, ADMIN, "menu.rollback", "menu:1", None, {"version": 1})
    everything = await audit.entries(unit_redis)
    assert [e["action"] for e in everything] == ["menu.rollback", "line.update", "menu.publish"]
    menus = await audit.entries(unit_redis, action="menu")
    assert [e["target"] for e in menus] == ["menu:1", "menu:2"]
    assert menus[1]["note"] == "改菜单" and menus[1]["before"] == {"a": 1} and menus[1]["after"] == {"a": 2}
    assert [e["source"] for e in await audit.entries(unit_redis, actor="ops")] == ["cli"]
    assert len(await audit.entries(unit_redis, limit=2)) == 2


@pytest.fixture
async def client(unit_redis, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(write_users(tmp_path / "users.yaml")))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(redis=unit_redis, settings=None, ami=None, features=Features(),
                                        lines=UNIT_LINES)
    app.include_router(auth_router)
    app.include_router(admin_router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def _token(client, username: str) -> dict:
    password = {"agent1": "pw-agent1", "supervisor": "pw-sup", "admin": "pw-admin"}[username]
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def test_audit_api_for_admins_and_supervisors_only(client, unit_redis):
    await audit.record(unit_redis, ADMIN, "menu.publish", "menu:2", 1, 2)
    admin = await _token(client, "admin")
    assert admin["home"] == "/admin"
    for username, status in (("admin", 200), ("supervisor", 200), ("agent1", 403)):
        token = (await _token(client, username))["token"]
        response = await client.get("/api/audit?action=menu", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, (username, response.text)
    assert (await client.get("/api/audit")).status_code == 401
    bad = await client.get("/api/audit?limit=100000", headers={"Authorization": f"Bearer {admin['token']}"})
    assert bad.status_code == 422
