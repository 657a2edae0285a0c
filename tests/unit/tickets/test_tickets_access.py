"""Access follows the work (issue 10): an agent reads, edits, claims and submits only the tickets of calls their
phone held (or was transferred to); supervisors see all; caller numbers of other agents' calls are masked."""
from types import SimpleNamespace

import httpx
import pytest
import yaml

from hotline.api.app import create_app
from hotline.auth.service import get_directory, issue_token
from hotline.auth.users import hash_password
from hotline.core.logging import mask_number
from hotline.runtime import Features
from hotline.tickets import access, service
from ivr.journal import Journal

from helpers import shipped_lines

LINES = shipped_lines()


@pytest.fixture
async def api(unit_redis, tmp_path, monkeypatch):
    users = [{"username": f"agent{n}", "display_name": f"坐席{n}", "role": "agent", "endpoint": f"agent{n}",
              "password_hash": hash_password("pw", 1000)} for n in (1, 2, 3, 4)]
    users.append({"username": "boss", "display_name": "班长", "role": "supervisor",
                  "password_hash": hash_password("pw", 1000)})
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump({"users": users}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    app = create_app(SimpleNamespace(redis=unit_redis, settings=None, ami=None, features=Features(), lines=LINES))
    tokens = {u: await issue_token(unit_redis, get_directory().get(u), 600) for u in ("agent1", "agent2", "boss")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.as_ = lambda user: {"Authorization": f"Bearer {tokens[user]}"}
        yield client


async def ticket_held_by(redis, call_id: str, *agents: str) -> dict:
    ticket = await service.open_draft(redis, {"call_id": call_id, "caller": "13812345678", "route": "tourism"},
                                      LINES)
    for agent in agents:
        assert await access.add_handler(redis, call_id, agent)
    return ticket


async def test_an_agent_reaches_only_the_tickets_of_calls_they_held(api, unit_redis):
    mine = await ticket_held_by(unit_redis, "c-mine", "agent1")
    theirs = await ticket_held_by(unit_redis, "c-theirs", "agent2")
    listed = (await api.get("/api/tickets", headers=api.as_("agent1"))).json()["tickets"]
    assert [t["id"] for t in listed] == [mine["id"]]
    assert (await api.get(f"/api/tickets/{mine['id']}", headers=api.as_("agent1"))).status_code == 200
    refusals = [
        await api.get(f"/api/tickets/{theirs['id']}", headers=api.as_("agent1")),
        await api.patch(f"/api/tickets/{theirs['id']}", headers=api.as_("agent1"), json={"notes": "x"}),
        await api.patch(f"/api/tickets/{theirs['id']}", headers=api.as_("agent1"), json={"status": "claimed"}),
        await api.post(f"/api/tickets/{theirs['id']}/submit", headers=api.as_("agent1")),
    ]
    assert [r.status_code for r in refusals] == [403, 403, 403, 403]
    assert "your phone held" in refusals[0].json()["detail"]
    untouched = await service.get_ticket(unit_redis, theirs["id"])
    assert untouched["status"] == "draft" and untouched["notes"] == ""


async def test_a_transfer_gives_the_new_agent_the_ticket_and_supervisors_see_all(api, unit_redis):
    moved = await ticket_held_by(unit_redis, "c-moved", "agent1", "agent2")
    other = await ticket_held_by(unit_redis, "c-other", "agent1")
    claimed = await api.patch(f"/api/tickets/{moved['id']}", headers=api.as_("agent2"), json={"status": "claimed"})
    assert claimed.status_code == 200 and claimed.json()["agent"] == "agent2"
    assert claimed.json()["handlers"] == ["agent1", "agent2"]
    listed = (await api.get("/api/tickets", headers=api.as_("boss"))).json()["tickets"]
    assert {t["id"] for t in listed} == {moved["id"], other["id"]}
    assert (await api.get(f"/api/tickets/{other['id']}", headers=api.as_("boss"))).status_code == 200


async def test_handler_of_a_call_without_ticket_yet_is_not_an_error(unit_redis):
    assert await access.add_handler(unit_redis, "no-ticket-yet", "agent1") is False


async def test_agents_see_other_agents_callers_masked(api, unit_redis):
    journal = Journal(unit_redis)
    await journal.open("call-a", caller="13812345678", started_at=1.0)
    await journal.update("call-a", agent="agent1")
    await journal.open("call-b", caller="13987654321", started_at=2.0)
    await journal.update("call-b", agent="agent2")
    seen = {c["call_id"]: c["caller"] for c in (await api.get("/api/calls", headers=api.as_("agent1"))).json()}
    assert seen["call-a"] == "13812345678" and seen["call-b"] == mask_number("13987654321") != "13987654321"
    one = (await api.get("/api/calls/call-b", headers=api.as_("agent1"))).json()
    assert one["caller"] == seen["call-b"]
    full = {c["call_id"]: c["caller"] for c in (await api.get("/api/calls", headers=api.as_("boss"))).json()}
    assert full == {"call-a": "13812345678", "call-b": "13987654321"}
