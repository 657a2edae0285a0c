"""派单 over HTTP: the suggestion on a classified ticket, who may dispatch, the ticket's new state, the
work-order webhook, the day's 150 s share and /metrics, and the admin-edited directory (validated, audited)."""
import time
from types import SimpleNamespace

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from hotline.admin import audit
from hotline.api.app import create_app
from hotline.auth.service import get_directory, issue_token
from hotline.core.config import CONFIG_DIR, get_settings
from hotline.dispatch.service import DispatchFeature
from hotline.dispatch.stats import DispatchCollector
from hotline.runtime import Features
from hotline.tickets import access, service

from helpers import WebhookReceiver, shipped_lines

LINES = shipped_lines()
TOURISM_WORDS = "开放时间早上九点至下午五点"


@pytest.fixture
def receiver():
    with WebhookReceiver().start() as server:
        yield server


@pytest.fixture
async def api(unit_redis, tmp_path, monkeypatch, receiver):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))
    from agents_users import write_users

    monkeypatch.setenv("HOTLINE_USERS_FILE", str(write_users(tmp_path / "users.yaml")))
    units = yaml.safe_load((CONFIG_DIR / "units.yaml").read_text(encoding="utf-8"))
    units["webhooks"] = {"urls": [receiver.url], "backoff_seconds": 0.05}
    units_file = tmp_path / "units.yaml"
    units_file.write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(get_settings(), "units_file", units_file)
    feature = DispatchFeature(unit_redis, units_file)
    app = create_app(SimpleNamespace(redis=unit_redis, settings=None, ami=None, lines=LINES,
                                     features=Features(dispatch=feature)))
    tokens = {u: await issue_token(unit_redis, get_directory().get(u), 600)
              for u in ("agent1", "agent2", "supervisor", "admin")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.as_ = lambda user: {"Authorization": f"Bearer {tokens[user]}"}
        client.feature, client.units_file = feature, units_file
        yield client
    await feature.stop()


async def tourism_ticket(redis, call_id="c-1") -> dict:
    call = {"call_id": call_id, "caller": "13812345678", "route": "tourism", "started_at": time.time() - 60}
    await service.open_draft(redis, call, LINES)
    await access.add_handler(redis, call_id, "agent1")
    return await service.attach_transcript(redis, call_id, {"text": TOURISM_WORDS}, pass_name="hanzi", lines=LINES)


async def test_an_agent_dispatches_the_ticket_of_their_call_and_the_work_order_system_gets_it(api, unit_redis,
                                                                                           receiver):
    ticket = await tourism_ticket(unit_redis)
    assert (ticket["suggested_unit"], ticket["suggested_rule"]) == ("city-tourism", "tourism")
    assert ticket["suggested_unit_name"] == "市文化和旅游局"
    url = f"/api/tickets/{ticket['id']}/dispatch"
    assert (await api.post(url, json={"unit": "city-tourism"}, headers=api.as_("agent2"))).status_code == 403
    incomplete = await api.post(url, json={"unit": "city-tourism"}, headers=api.as_("agent1"))
    assert incomplete.status_code == 422 and "summary" in incomplete.json()["detail"]
    unknown = await api.post(url, json={"unit": "mars"}, headers=api.as_("agent1"))
    assert unknown.status_code == 422 and "unknown unit 'mars'" in unknown.json()["detail"]
    await api.patch(f"/api/tickets/{ticket['id']}", json={"summary": "咨询景区开放时间"}, headers=api.as_("agent1"))

    done = await api.post(url, json={"unit": "hexi-district", "note": "河西区的景点"}, headers=api.as_("agent1"))
    assert done.status_code == 200, done.text
    t = done.json()
    assert (t["status"], t["dispatched_unit"], t["dispatched_unit_name"], t["dispatched_by"]) == (
        "dispatched", "hexi-district", "河西区人民政府", "agent1")
    assert 59 <= t["dispatch_seconds"] < 70 and t["submitted_at"] and t["dispatch_note"] == "河西区的景点"
    assert t["audit"][-1]["action"] == "dispatched" and t["audit"][-1]["changes"]["suggested_unit"] == "city-tourism"
    again = await api.post(url, json={"unit": "city-tourism"}, headers=api.as_("supervisor"))
    assert again.status_code == 409 and "already dispatched" in again.json()["detail"]
    edit = await api.patch(f"/api/tickets/{ticket['id']}", json={"notes": "x"}, headers=api.as_("agent1"))
    assert edit.status_code == 409

    await api.feature.sender.drain(5)
    [(_, body)] = receiver.received
    assert body["event"] == "ticket_dispatched" and body["ticket"]["id"] == ticket["id"]
    assert body["unit"] == {"id": "hexi-district", "name": "河西区人民政府", "kind": "district",
                            "external_code": "hexi-district"}
    assert body["suggested"] == {"unit": "city-tourism", "rule": "tourism", "followed": False}
    assert body["within_target"] is True and body["ticket"]["transcript"] == TOURISM_WORDS

    # a supervisor may dispatch any ticket
    other = await tourism_ticket(unit_redis, "c-2")
    await service.update_ticket(unit_redis, other["id"], {"summary": "景区开放时间"}, "agent1")
    assert (await api.post(f"/api/tickets/{other['id']}/dispatch", json={"unit": "city-tourism"},
                           headers=api.as_("supervisor"))).status_code == 200

    stats = await api.get("/api/dispatch/stats", headers=api.as_("supervisor"))
    assert stats.json()["lines"] == [{"line": "tourism", "dispatched": 2, "within_target": 2, "share": 1.0,
                                      "mean_seconds": pytest.approx(60, abs=5)}]
    assert {a["agent"] for a in stats.json()["agents"]} == {"agent1", "supervisor"}
    assert (await api.get("/api/dispatch/stats", headers=api.as_("agent1"))).status_code == 403
    registry = CollectorRegistry()
    registry.register(await DispatchCollector.snapshot(unit_redis))
    text = generate_latest(registry).decode()
    assert 'hotline_dispatch_seconds_bucket{le="150.0",line="tourism"} 2.0' in text
    assert 'hotline_dispatch_seconds_bucket{le="30.0",line="tourism"} 0.0' in text
    assert 'hotline_dispatch_within_150s_ratio{line="tourism"} 1.0' in text
    assert 'hotline_agent_dispatch_within_150s_ratio{agent="agent1"} 1.0' in text


async def test_admins_edit_the_directory_validated_and_audited(api, unit_redis):
    seen = (await api.get("/api/dispatch/units", headers=api.as_("agent1"))).json()
    assert "webhooks" not in seen and len(seen["units"]) > 20
    document = (await api.get("/api/dispatch/units", headers=api.as_("admin"))).json()
    assert document["webhooks"]["urls"]
    before = api.units_file.read_text(encoding="utf-8")
    assert (await api.put("/api/dispatch/units", json=document, headers=api.as_("supervisor"))).status_code == 403
    bad = {**document, "rules": [{"id": "x", "unit": "city-tourism", "categories": ["天气"]}]}
    refused = await api.put("/api/dispatch/units", json=bad, headers=api.as_("admin"))
    assert refused.status_code == 422 and "unknown categories ['天气']" in refused.json()["detail"]
    assert api.units_file.read_text(encoding="utf-8") == before

    # tourism tickets now go to the 滨海新区 government (an admin's rule with a higher priority)
    rule = {"id": "tourism-all", "unit": "binhai-district", "categories": ["旅游/民宿/景区"], "priority": 50}
    changed = {k: v for k, v in document.items() if k != "webhooks"}
    changed["rules"] = [*document["rules"], rule]
    saved = await api.put("/api/dispatch/units?note=文旅下放", json=changed, headers=api.as_("admin"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["webhooks"] == document["webhooks"]       # left out: kept
    [entry] = await audit.entries(unit_redis, action="dispatch.units")
    assert (entry["actor"], entry["note"]) == ("admin", "文旅下放") and "tourism-all" in entry["diff"]
    ticket = await tourism_ticket(unit_redis, "c-3")
    assert (ticket["suggested_unit"], ticket["suggested_rule"]) == ("binhai-district", "tourism-all")
