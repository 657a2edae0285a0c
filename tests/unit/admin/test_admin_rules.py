"""Overflow rules and staffing targets edited at run time: validated by the overflow.yaml model with paths,
stored, applied to the running supervision feature (no restart), adopted at the next start, audited."""
from __future__ import annotations

import copy
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from hotline.admin import audit, rules
from hotline.admin.rules_http import router as rules_router
from hotline.auth.http import router as auth_router
from hotline.runtime import Features
from hotline.supervision import rules_store
from hotline.supervision.config import load_config
from hotline.supervision.service import SupervisionService

from helpers import shipped_lines

sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))
from agents_users import PASSWORDS, write_users  # noqa: E402

ADMIN = audit.Actor("admin", "admin", "127.0.0.1")
LINES = shipped_lines()


def service(redis) -> SupervisionService:
    ami = SimpleNamespace(on_event=lambda *a: None, on_connect=lambda *a: None)
    return SupervisionService(redis, ami, load_config(lines=LINES.names), LINES, spawn=lambda coro, name: coro.close())


def waiting_at(document: dict, raise_at: float, clear_at: float) -> dict:
    changed = copy.deepcopy(document)
    rule = next(r for r in changed["default_rules"] if r["id"] == "waiting")
    rule["warning"] = {"raise": raise_at, "clear": clear_at}
    return changed


async def test_saved_rules_apply_at_once_and_at_the_next_start(unit_redis):
    running = service(unit_redis)
    document = rules_store.editable(running.config)
    assert document["default_rules"][0]["warning"] == {"raise": 3.0, "clear": 1.0}   # as in overflow.yaml
    running.model.queue("tourism").waiting.update({"c1": 0.0, "c2": 0.0})
    assert await running.evaluate(1.0) == []                                          # 2 waiting: below 3
    document = waiting_at(document, 2, 1)
    document["queues"]["general"] = {"staffing": {"target_service_level": 0.9, "target_answer_s": 15}}
    version = await rules.save(unit_redis, running, document, ADMIN, note="排队2人就预警")
    alerts = await running.evaluate(2.0)
    assert [(a["alert_id"], a["severity"], a["threshold"]) for a in alerts] == [("tourism:waiting", "warning", 2)]
    assert running.config.staffing_for("general").target_service_level == 0.9
    assert running.config.staffing_for("tourism").target_service_level == 0.8
    entry = (await audit.entries(unit_redis, action="rules"))[0]
    assert (entry["target"], entry["note"]) == (f"overflow-rules:{version}", "排队2人就预警")
    assert "-        \"raise\": 3.0" in entry["diff"] and "+        \"raise\": 2.0" in entry["diff"]

    document["default_rules"] = [r for r in document["default_rules"] if r["id"] != "waiting"]
    await rules.save(unit_redis, running, document, ADMIN)                            # the rule is gone:
    assert "tourism:waiting" not in running.active                                    # its alert is cleared

    restarted = service(unit_redis)
    await restarted.start()
    assert restarted.rules_version == version + 1 and "waiting" not in [r.id for r in restarted.config.default_rules]


async def test_invalid_rules_are_refused_with_their_paths(unit_redis):
    running = service(unit_redis)
    flapping = waiting_at(rules_store.editable(running.config), 2, 5)
    errors = rules.check(running, flapping)
    assert errors[0]["path"] == "default_rules.0" and "must be strictly below" in errors[0]["message"]
    assert rules.check(running, {"webhooks": {}})[0]["message"].startswith("not editable here")
    assert "not a configured queue" in rules.check(running, {"queues": {"water": {}}})[0]["message"]
    with pytest.raises(rules_store.RulesInvalid):
        await rules.save(unit_redis, running, flapping, ADMIN)
    assert await rules_store.load(unit_redis) is None and await audit.entries(unit_redis) == []


async def test_http_admins_write_supervisors_read(unit_redis, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(write_users(tmp_path / "users.yaml")))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(redis=unit_redis, settings=None, ami=None, lines=LINES,
                                        features=Features(supervision=service(unit_redis)))
    app.include_router(auth_router)
    app.include_router(rules_router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        async def login(username):
            response = await client.post("/api/auth/login", json={"username": username,
                                                                   "password": PASSWORDS[username]})
            return {"Authorization": f"Bearer {response.json()['token']}"}
        admin, boss, agent = await login("admin"), await login("supervisor"), await login("agent1")
        current = (await client.get("/api/rules", headers=boss)).json()
        assert current["version"] is None and current["lines"]["general"] == "综合服务"
        assert (await client.get("/api/rules", headers=agent)).status_code == 403
        changed = waiting_at(current["rules"], 2, 1)
        assert (await client.put("/api/rules", json=changed, headers=boss)).status_code == 403
        bad = await client.put("/api/rules", json=waiting_at(current["rules"], 2, 5), headers=admin)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["default_rules", 0]
        assert (await client.put("/api/rules?note=x", json=changed, headers=admin)).json() == {"version": 1}
        assert (await client.get("/api/rules", headers=boss)).json()["stored"]["author"] == "admin"
        huge = await client.post("/api/rules/validate", content=b"[" * 70_000, headers=boss)
        assert huge.status_code == 413
        assert (await client.post("/api/rules/validate", content=b"{nope", headers=boss)).status_code == 422


async def test_another_controller_follows_the_saved_rules(unit_redis):
    here, there = service(unit_redis), service(unit_redis)
    version = await rules.save(unit_redis, here, waiting_at(rules_store.editable(here.config), 2, 1), ADMIN)
    assert there.rules_version is None
    await there.follow_stored_rules()
    assert there.rules_version == version and there.config.default_rules[0].warning.raise_at == 2
