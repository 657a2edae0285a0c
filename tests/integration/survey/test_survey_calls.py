"""Real calls: the satisfaction survey after the agent hangs up first, and a 回访 call to the caller's phone
(SIPp callers, SIPp agent phones, SIPp caller phone, Asterisk, the controller process)."""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from hotline.survey import stats
from hotline.tickets import satisfaction, service as tickets
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps

from helpers import ARTIFACTS, eventually, new_caller, shipped_lines

# key → line → its static agent (config/queues.yaml); each agent hangs up 2 s after answering
CALLS = [("1", "1"), ("9", "2"), ("0", "3"), ("1", None)]   # (menu key, survey key; None: no key)
TOKEN = "test-workorder-token"
ENV = {"HOTLINE_SURVEY_ENABLED": "true", "HOTLINE_FOLLOWUP_CLOCK": "12:00", "HOTLINE_WORKORDER_TOKEN": TOKEN,
       "HOTLINE_FOLLOWUP_POLL_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def survey_controller(controller_with_env):
    """The controller with the survey on (the other integration tests run without it), 回访 hours open
    (the clock setting: noon in Asia/Shanghai) and the work-order token; one restart for this module."""
    with controller_with_env(**ENV) as controller:
        yield controller


async def test_survey_answers_are_journaled_stored_and_shown(settings, survey_controller, sipp, redis,
                                                             chromium):
    journal = Journal(redis)
    for n in (1, 2, 3):
        sipp.agent_phone(n, talk_seconds=2.0)
    callers = [new_caller() for _ in CALLS]
    started = time.time()
    results = await asyncio.gather(*(
        sipp.caller("12345", caller_id=caller, max_hold=60.0, steps=hotline_steps(settings, key, survey=answer))
        .arun(timeout=120) for caller, (key, answer) in zip(callers, CALLS)))
    assert all(r.answered and r.remote_hangup for r in results), "the hotline ends every call after the survey"
    for caller, (_, answer) in zip(callers, CALLS):
        call = await find_call(journal, caller, since=started - 1)
        expected = answer or "none"
        surveys = [e for e in call["events"] if e["event"] == "survey"]
        assert [e["value"] for e in surveys] == [expected], call["events"]
        assert call["survey"] == expected and "survey_offered" in [e["event"] for e in call["events"]]
        ticket = await eventually(lambda c=call: _rated(redis, c["ticket_id"]), 5, "the survey on the ticket")
        assert ticket["survey"] == expected
    unsatisfied = await find_call(journal, callers[2], since=started - 1)
    assert [t["id"] for t in await satisfaction.review_list(redis)] == [unsatisfied["ticket_id"]]
    today = (await stats.report(redis, now=time.time(), days=1, timezone=settings.survey_timezone))["days"][0]
    rates = today["call"]["all"]
    assert (rates["offered"], rates["rated"], rates["unsatisfied"]) == (4, 3, 1)
    assert (rates["satisfaction_rate"], rates["participation_rate"]) == (66.7, 75.0)
    assert today["call"]["lines"]["general"]["unsatisfied"] == 1
    assert today["call"]["agents"]["agent1"]["offered"] == 2
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as http:
        token = await _supervisor_token(http)
        api = (await http.get("/api/survey", headers={"Authorization": f"Bearer {token}"})).json()
        assert api["total"]["call"]["lines"]["tourism"]["satisfaction_rate"] == 100.0
        metrics = (await http.get("/metrics")).text
        assert 'hotline_survey_satisfaction_rate_percent{name="",scope="all",source="call"} 66.7' in metrics
    await _wallboard(chromium, f"http://127.0.0.1:{settings.http_port}", token, unsatisfied["ticket_id"])


async def _supervisor_token(http) -> str:
    login = await http.post("/api/auth/login", json={"username": "supervisor", "password": "supervisor@12345"})
    return login.json()["token"]


async def _rated(redis, ticket_id):
    ticket = await tickets.get_ticket(redis, ticket_id)
    return ticket if ticket.get("survey") else None


async def _submitted_ticket(redis, caller: str) -> str:
    ticket = await tickets.open_draft(redis, {"call_id": f"followup-test-{caller}", "caller": caller,
                                              "route": "general"}, shipped_lines())
    await tickets.update_ticket(redis, ticket["id"], {"summary": "小区路灯不亮", "category": "路灯/井盖/道路",
                                                      "request_type": "求助"}, "agent3")
    await tickets.submit_ticket(redis, ticket["id"], "agent3")
    return ticket["id"]


async def test_followup_call_answered_with_3_puts_the_ticket_under_review(settings, survey_controller, sipp, redis):
    caller = new_caller()
    ticket_id = await _submitted_ticket(redis, caller)
    # the caller's phone answers the 回访 and keeps pressing 3: the first press in the question counts
    phone = sipp.phone("caller-phone", settings.followup_phone_port,
                       steps=[("pause", 1.0)] + [("pause", 1.5), ("dtmf", "3")] * 30)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as http:
        refused = await http.post(f"/api/tickets/{ticket_id}/result", json={"text": "x", "handled_by": "y"},
                                  headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401
        reported = await http.post(f"/api/tickets/{ticket_id}/result",
                                   json={"text": "路灯已于今日修复", "handled_by": "市城管局"},
                                   headers={"Authorization": f"Bearer {TOKEN}"})
        assert reported.status_code == 200, reported.text
        assert reported.json()["ticket"]["result"]["reported_by"] == "workorder"
        await phone.wait_for("ANSWERED", timeout=30)
        ticket = await eventually(lambda: _followed_up(redis, ticket_id), 60, "the 回访 answer on the ticket")
        assert ticket["followup"]["answer"] == "3" and ticket["followup"]["status"] == "done"
        auth = {"Authorization": f"Bearer {await _supervisor_token(http)}"}
        listed = (await http.get("/api/tickets", params={"review": "unsatisfied"}, headers=auth)).json()
        assert [t["id"] for t in listed["tickets"]] == [ticket_id]
        metrics = (await http.get("/metrics")).text
        assert 'hotline_tickets_review_unsatisfied 1.0' in metrics
        assert 'hotline_survey_unsatisfied{name="",scope="all",source="followup"} 1.0' in metrics


async def _followed_up(redis, ticket_id):
    ticket = await tickets.get_ticket(redis, ticket_id)
    return ticket if (ticket.get("followup") or {}).get("status") in ("done", "failed") else None


async def _wallboard(browser, base_url: str, token: str, ticket_id: str) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.goto(f"{base_url}/static/wallboard.css")
    await page.evaluate("token => localStorage.setItem('hotline_token', token)", token)
    await page.goto(f"{base_url}/wallboard")
    item = page.locator(f'#review-list li[data-ticket="{ticket_id}"]')
    await item.wait_for(timeout=25000)   # the panel refreshes every 10 s
    assert "现场不满意" in await item.inner_text()
    row = page.locator('#survey-panel tr[data-scope="business"]')
    assert "100.0%" in await row.inner_text() and "50.0%" in await row.inner_text()   # 1 of 2 rated, 满意
    await page.wait_for_function("(t => t !== null && getComputedStyle(t).borderCollapse === 'collapse')"
                                 "(document.querySelector('.survey-table'))")   # its stylesheet is in
    path = ARTIFACTS / "wallboard-survey.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    await page.close()
