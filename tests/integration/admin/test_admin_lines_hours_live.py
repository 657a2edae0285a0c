"""Lines, agents and opening hours edited by an admin, proven on real calls through real Asterisk.

The shared controller is restarted once for the module on a copy of config/ (the admin API rewrites its
queues.yaml / hours.yaml / users.yaml) where the business line opens on weekdays only, with the test clock
moved to a Sunday 03:00 in Asia/Shanghai:
- a SIPp caller pressing 1 hears the out-of-hours prompt and lands on the general line (journal, ticket);
- a caller waits in the tourism queue (its agent's phone is off); the admin gives the line another agent
  through the API → the same call is answered by the new agent's SIPp phone (QueueReload kept it waiting);
- Chromium as admin at 1366×768: the lines tab changes a line's agents, the hours tab adds 春节
  (tests/artifacts/admin-lines.png, admin-hours.png); supervisors see both read-only, agents and
  supervisors get 403 on writes.
The normal PBX config is rendered back afterwards."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import time
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
import yaml

from hotline.core.config import CONFIG_DIR
from hotline.pbx import sandbox
from ivr.journal import Journal
from ivr.scripted_caller import FIRST_KEY_AFTER, find_call, hotline_steps, prompt_seconds

from helpers import ARTIFACTS, eventually, new_caller

PAGE_ERRORS: list[str] = []
PASSWORDS = {"admin": "admin@12345", "supervisor": "supervisor@12345", "agent1": "agent1@12345"}


def sunday_3am_offset() -> float:
    """Seconds to add to now so that the hotline's clock reads next Sunday 03:00 (Asia/Shanghai)."""
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    sunday = (now + dt.timedelta(days=(6 - now.weekday()) % 7 or 7)).replace(hour=3, minute=0, second=0)
    return sunday.timestamp() - now.timestamp()


@pytest.fixture(scope="module")
def admin_config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin") / "config"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("*.prev"))
    weekdays = {day: ["09:00-12:00", "13:30-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
    hours = {"lines": {"business": {"weekly": weekdays, "closed": {"prompt": "after-hours", "queue": "general"},
                                    "holidays": [{"date": "2027-02-06", "until": "2027-02-12", "name": "春节"}]}}}
    (folder / "hours.yaml").write_text(yaml.safe_dump(hours, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def admin_controller(controller_with_env, settings, admin_config):
    try:
        with controller_with_env(HOTLINE_CONFIG_DIR=str(admin_config),
                                 HOTLINE_CLOCK_OFFSET_SECONDS=str(sunday_3am_offset())) as controller:
            yield controller
    finally:
        sandbox(settings).up()     # the shipped lines again (the admin edits rewrote queues.conf)


@pytest.fixture
async def journal(redis_server):
    client = aioredis.from_url(redis_server, decode_responses=True)
    yield Journal(client)
    await client.aclose()


@pytest.fixture
async def http(settings, admin_controller, redis):
    """Clients logged in as admin, supervisor and agent1: {"admin": httpx.AsyncClient, ...} (+ tokens, users)."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    clients, sessions = {}, {}
    for name, password in PASSWORDS.items():
        client = httpx.AsyncClient(base_url=base, timeout=20)
        login = await client.post("/api/auth/login", json={"username": name, "password": password})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        clients[name], sessions[name] = client, login.json()
    yield clients, sessions
    for client in clients.values():
        await client.aclose()


async def journal_with(journal, call_id: str, event: str, timeout: float = 20.0) -> dict:
    async def seen():
        call = await journal.get(call_id)
        return call if event in [e["event"] for e in call["events"]] else None
    return await eventually(seen, timeout, f"{event} in the journal of {call_id}")


async def test_closed_line_key_goes_to_the_out_of_hours_path(settings, admin_controller, journal, sipp, pbx, http):
    clients, _ = http
    status = (await clients["supervisor"].get("/api/hours")).json()
    assert status["status"]["business"]["open"] is False and status["status"]["general"]["open"] is True
    local = dt.datetime.fromisoformat(status["local_now"])      # the shifted clock, in Shanghai time
    assert (local.weekday(), local.hour, local.utcoffset()) == (6, 3, dt.timedelta(hours=8))
    sipp.agent_phone(3, talk_seconds=2.0)           # general's agent
    log_from = pbx.log_path.stat().st_size
    caller_id, started = new_caller(), time.time()
    steps = [("pause", FIRST_KEY_AFTER), ("dtmf", "1"), ("pause", prompt_seconds(settings, "after-hours") + 1.0),
             ("dtmf", "#"), ("hold", None)]
    result = await sipp.caller("12345", caller_id=caller_id, steps=steps, max_hold=30.0).arun(timeout=90)
    call = await find_call(journal, caller_id, since=started - 1)
    assert call is not None and result.answered
    call = await journal_with(journal, call["call_id"], "agent_connect")
    closed = next(e for e in call["events"] if e["event"] == "after_hours")
    assert (closed["queue"], closed["to_queue"], closed["prompt"]) == ("business", "general", "after-hours")
    assert closed["reason"] == "outside hours"
    assert (call["route"], call["agent"]) == ("general", "agent3")
    with open(pbx.log_path, "rb") as log:          # Asterisk's own log: the prompt was played on this call
        log.seek(log_from)
        played = [line for line in log.read().decode(errors="replace").splitlines() if call["channel"] in line]
    assert any("Playing" in line and "after-hours" in line for line in played), played[-5:]
    ticket = (await clients["admin"].get(f"/api/tickets/{call['ticket_id']}")).json()
    assert ticket["after_hours"] == {"line": "business", "callback": False} and ticket["line"] == "general"


async def test_a_waiting_call_survives_a_change_of_its_lines_agents(settings, admin_controller, journal, sipp, pbx,
                                                                   http, admin_config):
    clients, _ = http
    new_agent = sipp.agent_phone(3, talk_seconds=2.0)     # agent2 (tourism's agent) has no phone running
    caller_id, started = new_caller(), time.time()
    caller = sipp.caller("12345", caller_id=caller_id, steps=hotline_steps(settings, "9"), max_hold=60.0)
    caller.start()
    call = await find_call(journal, caller_id, since=started - 1, timeout=20)
    assert call is not None
    await journal_with(journal, call["call_id"], "route")
    await eventually(lambda: asyncio.to_thread(lambda: "has 1 call" in pbx.cli("queue show hotline-tourism")), 10,
                     "the caller waiting in hotline-tourism")
    await asyncio.sleep(2.0)                              # it keeps waiting: nobody answers
    assert not new_agent.events_for(caller_id)

    for who in ("agent1", "supervisor"):                 # only admins write
        refused = await clients[who].patch("/api/lines/tourism", json={"members": ["agent3"]})
        assert refused.status_code == 403, refused.text
    changed = await clients["admin"].patch("/api/lines/tourism", json={"members": ["agent3"], "note": "agent2 病假"})
    assert changed.status_code == 200, changed.text
    assert "QueueReload hotline-tourism" in changed.json()["applied"]

    await new_agent.wait_for("ANSWERED", caller=caller_id, timeout=30)
    await caller.process.wait_async(60)
    result = caller.result()
    assert result.answered and result.remote_hangup, result       # answered, then the agent hung up: never dropped
    call = await journal_with(journal, call["call_id"], "agent_connect")
    assert (call["route"], call["agent"]) == ("tourism", "agent3")

    saved = yaml.safe_load((admin_config / "queues.yaml").read_text(encoding="utf-8"))
    assert next(q for q in saved["queues"] if q["name"] == "tourism")["members"] == ["agent3"]
    assert (admin_config / "queues.yaml.prev").exists()
    members = await asyncio.to_thread(pbx.cli, "queue show hotline-tourism")
    assert "agent3" in members and "PJSIP/agent2" not in members
    entry = (await clients["supervisor"].get("/api/audit?action=line.update")).json()["entries"][0]
    assert (entry["actor"], entry["target"], entry["note"]) == ("admin", "line:tourism", "agent2 病假")
    assert '+    "agent3"' in entry["diff"] and '-    "agent2"' in entry["diff"]
    lines = (await clients["agent1"].get("/api/auth/me")).json()       # the catalogue changed in place
    assert lines["queues"] == ["business"]


async def admin_page(chromium, settings, session: dict, tab: str):
    base = f"http://{settings.http_host}:{settings.http_port}"
    page = await chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.on("pageerror", lambda exc: PAGE_ERRORS.append(str(exc)))
    await page.goto(f"{base}/static/admin.css")               # same origin for localStorage
    await page.evaluate("([t, u]) => { localStorage.setItem('hotline_token', t); localStorage.setItem('hotline_user', u); }",
                        [session["token"], json.dumps(session["user"])])
    await page.goto(f"{base}/admin#{tab}")
    return page


async def test_admin_edits_lines_and_hours_in_the_browser(settings, admin_controller, http, chromium):
    clients, sessions = http
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = await admin_page(chromium, settings, sessions["admin"], "lines")
    row = page.locator('#lines-table tr[data-line="business"]')
    await row.locator('select[data-endpoint="agent4"]').select_option("login_members")
    await row.locator('button[data-save="business"]').click()
    await page.locator("#flash.ok").wait_for(timeout=15000)
    assert "企业服务" in await page.locator("#flash").inner_text()
    await page.locator('#lines-table tr[data-line="business"] .agent-pick.on >> text=agent4').wait_for()
    await page.screenshot(path=str(ARTIFACTS / "admin-lines.png"), full_page=False)
    lines = (await clients["admin"].get("/api/lines")).json()["lines"]
    assert next(x for x in lines if x["name"] == "business")["login_members"] == ["agent4"]

    await page.locator('#tabs [data-tab="hours"]').click()
    card = page.locator('.hours-line[data-line="business"]')
    form = card.locator("form[data-holiday-form]")
    await form.locator("input[name=date]").fill("2028-01-25")
    await form.locator("input[name=until]").fill("2028-01-31")
    await form.locator("input[name=name]").fill("春节")
    await form.locator("button[type=submit]").click()
    await page.locator("#save-hours").click()
    await page.locator("#flash.ok").wait_for(timeout=15000)
    await card.locator("text=2028-01-25 至 2028-01-31").wait_for()
    await page.screenshot(path=str(ARTIFACTS / "admin-hours.png"), full_page=False)
    await page.close()
    hours = (await clients["supervisor"].get("/api/hours")).json()
    assert {"date": "2028-01-25", "until": "2028-01-31", "name": "春节"} in hours["lines"]["business"]["holidays"]
    audit = (await clients["admin"].get("/api/audit?action=hours.update")).json()["entries"][0]
    assert "春节" in audit["diff"] and "2028-01-25" in audit["diff"]

    # supervisors view read-only: no save buttons, inputs disabled; their writes are refused
    page = await admin_page(chromium, settings, sessions["supervisor"], "hours")
    await page.locator('.hours-line[data-line="business"]').wait_for()
    assert not await page.locator("#save-hours").is_visible()
    assert await page.locator("#readonly").is_visible()
    await page.locator('#tabs [data-tab="lines"]').click()
    await page.locator("#lines-table").wait_for()
    assert not await page.locator('button[data-save="business"]').is_visible()
    assert await page.locator('select[data-endpoint="agent4"]').first.is_disabled()
    await page.close()
    assert PAGE_ERRORS == []
    for who in ("supervisor", "agent1"):
        assert (await clients[who].put("/api/hours", json={"lines": {}})).status_code == 403
        assert (await clients[who].post("/api/users", json={"username": "x1", "display_name": "x", "password": "p" * 8})
                ).status_code == 403
