"""Survey and 回访 logic without a PBX: the hours (clock setting), the dialer's tries, the 满意率 arithmetic,
and who may report a result (POST /api/tickets/{id}/result)."""
from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

import httpx
import pytest
import yaml
from fastapi import FastAPI

from hotline.auth.service import issue_token
from hotline.auth.users import User, hash_password
from hotline.core.config import Settings
from hotline.core.lines import parse_lines
from hotline.runtime import Features
from hotline.survey import schedule, stats
from hotline.survey.http import router
from hotline.survey.service import SurveyFeature
from hotline.tickets import satisfaction, service as tickets

LINES = parse_lines({"queues": [{"name": "general", "label": "综合服务"}]})
SHANGHAI = "Asia/Shanghai"


def _at(hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 11, 28, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


@pytest.mark.parametrize("clock,wait", [("12:00", 0), ("08:00", 0), ("20:59", 0), ("21:00", 11 * 3600),
                                        ("07:59", 60), ("23:30", 8.5 * 3600)])
def test_no_followup_calls_outside_the_hours(clock, wait):
    local = schedule.local_now(_at(15), SHANGHAI, clock)   # the clock setting replaces the time of day
    assert schedule.seconds_until_open(local, "08:00-21:00") == wait
    assert schedule.within_hours(local, "08:00-21:00") is (wait == 0)


def test_hours_past_midnight_and_the_real_clock():
    assert schedule.within_hours(schedule.local_now(_at(23), SHANGHAI), "22:00-06:00")
    assert not schedule.within_hours(schedule.local_now(_at(12), SHANGHAI), "22:00-06:00")
    assert schedule.local_now(_at(9, 30), SHANGHAI).strftime("%H:%M") == "09:30"


def test_bad_hours_or_clock_settings_are_refused():
    with pytest.raises(ValueError, match="followup_hours"):
        Settings(followup_hours="8-21")
    with pytest.raises(ValueError, match="followup_clock"):
        Settings(followup_clock="25:00")


def test_satisfaction_and_participation_rates():
    rates = stats.rates({"offered": 4, "1": 1, "2": 1, "3": 1, "none": 1})
    assert (rates["rated"], rates["satisfaction_rate"], rates["participation_rate"]) == (3, 66.7, 75.0)
    assert stats.rates({})["satisfaction_rate"] is None and stats.rates({})["participation_rate"] is None
    grouped = stats.group({"call|line:general|offered": "2", "call|line:general|3": "1", "junk": "9"})
    assert grouped["call"]["line:general"]["unsatisfied"] == 1


class FakeAmi:
    connected = True

    def __init__(self):
        self.actions: list[tuple[str, dict]] = []

    async def send_action(self, name, **fields):
        self.actions.append((name, fields))

    def on_event(self, names, handler):
        pass


def _feature(unit_redis, tmp_path, **settings) -> tuple[SurveyFeature, FakeAmi]:
    ami = FakeAmi()
    config = Settings(pbx_root=tmp_path, instance="unit", followup_max_tries=2, followup_retry_minutes=10,
                      survey_timezone=SHANGHAI, **settings)
    return SurveyFeature(config, unit_redis, ami, LINES, spawn=lambda coro, name: coro.close()), ami


async def _submitted(redis, caller="13812345678") -> str:
    ticket = await tickets.open_draft(redis, {"call_id": f"c-{caller}", "caller": caller, "route": "general"}, LINES)
    await tickets.update_ticket(redis, ticket["id"], {"summary": "路灯不亮", "category": "路灯/井盖/道路",
                                                      "request_type": "求助"}, "agent1")
    await tickets.submit_ticket(redis, ticket["id"], "agent1")
    return ticket["id"]


async def test_dialer_waits_for_the_hours_then_retries_and_gives_up(unit_redis, tmp_path):
    survey, ami = _feature(unit_redis, tmp_path, followup_clock="22:30")
    ticket_id = await _submitted(unit_redis)
    await schedule.schedule(unit_redis, ticket_id, "13812345678", time.time())
    now = time.time()
    await survey.dialer.tick(now)
    assert ami.actions == []    # 22:30: nobody is called; due again at 08:00, 9.5 h later
    assert (await schedule.get(unit_redis, ticket_id))["next_at"] == pytest.approx(now + 9.5 * 3600)

    survey.settings.followup_clock = "12:00"
    for attempt in (1, 2):
        await survey.dialer.tick(time.time() + 11 * 3600 * attempt)
        name, fields = ami.actions[-1]
        assert (name, fields["Channel"], fields["Context"]) == ("Originate", "PJSIP/13812345678@followup-out",
                                                               "hotline-followup")
        assert fields["Variable"] == f"HOTLINE_FOLLOWUP_TICKET={ticket_id}" and fields["Async"] == "true"
        await survey.dialer.on_originate_response({"Uniqueid": fields["ChannelId"], "Response": "Failure",
                                                   "Reason": "3"})
    state = await schedule.get(unit_redis, ticket_id)
    assert (state["status"], state["tries"]) == ("failed", 2) and await schedule.pending(unit_redis) == 0
    assert not survey.dialer.audio_file(ticket_id).exists()
    ticket = await tickets.get_ticket(unit_redis, ticket_id)
    assert ticket["followup"]["status"] == "failed" and ticket["followup"]["answer"] is None


async def test_a_followup_survives_a_restart_through_its_lease(unit_redis, tmp_path):
    survey, ami = _feature(unit_redis, tmp_path, followup_clock="12:00")
    ticket_id = await _submitted(unit_redis)
    await schedule.schedule(unit_redis, ticket_id, "13812345678", time.time())
    await survey.dialer.tick(time.time())
    restarted, ami2 = _feature(unit_redis, tmp_path, followup_clock="12:00")   # the first one died mid-call
    await restarted.dialer.tick(time.time())
    assert ami2.actions == []                      # still within the try's lease
    await restarted.dialer.tick(time.time() + 3600)
    assert ami2.actions and (await schedule.get(unit_redis, ticket_id))["tries"] == 2


@pytest.fixture
def users(tmp_path, monkeypatch):
    entries = [{"username": "agent1", "display_name": "坐席1", "role": "agent", "endpoint": "agent1",
                "password_hash": hash_password("x", 1000)},
               {"username": "supervisor", "display_name": "班长", "role": "supervisor",
                "password_hash": hash_password("y", 1000)}]
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump({"users": entries}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return {e["username"]: User(**e) for e in entries}


async def test_who_may_report_a_result(unit_redis, tmp_path, users):
    survey, _ = _feature(unit_redis, tmp_path, workorder_token="s3cret-integration-token", followup_clock="12:00")
    app = FastAPI()
    app.state.runtime = SimpleNamespace(redis=unit_redis, settings=survey.settings, features=Features(survey=survey))
    app.include_router(router)
    ticket_id = await _submitted(unit_redis)
    draft = (await tickets.open_draft(unit_redis, {"call_id": "c-draft", "caller": "13900000000",
                                                   "route": "general"}, LINES))["id"]
    body = {"text": "已修复", "handled_by": "市城管局"}
    tokens = {name: await issue_token(unit_redis, user, 600) for name, user in users.items()}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        async def post(tid, json, token):
            return await http.post(f"/api/tickets/{tid}/result", json=json, headers={"Authorization": f"Bearer {token}"})
        assert (await post(ticket_id, body, "wrong")).status_code == 401
        assert (await post(ticket_id, body, tokens["agent1"])).status_code == 403
        assert (await post(ticket_id, {"text": " ", "handled_by": "x"}, tokens["supervisor"])).status_code == 422
        assert (await post(ticket_id, {**body, "extra": 1}, tokens["supervisor"])).status_code == 422
        assert (await post(draft, body, tokens["supervisor"])).status_code == 409
        assert (await post("T-none", body, tokens["supervisor"])).status_code == 404
        done = await post(ticket_id, body, "s3cret-integration-token")
        assert done.status_code == 200, done.text
    ticket = done.json()["ticket"]
    assert ticket["result"]["reported_by"] == "workorder" and ticket["followup"]["status"] == "scheduled"
    assert survey.dialer.audio_file(ticket_id).stat().st_size > 1000    # the result, spoken
    assert await schedule.due(unit_redis, time.time()) == [ticket_id]
    assert await satisfaction.review_count(unit_redis) == 0


def test_config_check_names_an_unknown_survey_line(tmp_path):
    import shutil

    from hotline.configcheck import check_config
    from hotline.core.config import CONFIG_DIR

    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    with (folder / "hotline.toml").open("a", encoding="utf-8") as toml:
        toml.write('\nsurvey_disabled_lines = ["tourism", "utilities"]\n')
    assert [str(p) for p in check_config(folder)] == [
        "hotline.toml:survey_disabled_lines: unknown line 'utilities'; one of ['business', 'tourism', 'general']"]
