"""Overflow alerts and the overflow route through the REAL controller process (`hotline serve`).

SIPp callers dial 12345, press 9 and skip the description ('#'), so the controller's own call flow puts
them in the tourism queue of real Asterisk 22, where agent2's SIPp phone rings but never answers. The
controller runs with a test overflow config (HOTLINE_OVERFLOW_FILE: low thresholds, a local webhook,
overflow `route tourism → general` on). The supervisor sees it as a browser would: login, WebSocket,
/api/queues, /metrics, the wallboard page.
"""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import httpx
import pytest
import redis as sync_redis
import yaml

from hotline.supervision.store import ACTIVE_KEY, STREAM_KEY
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps
from telephony.ami.manager import AmiManager

from helpers import (
    ARTIFACTS,
    WebhookReceiver,
    eventually,
    new_caller,
    queue_alerts,
    screenshot_wallboard,
    websocket_messages,
)

FLOOD = 4
RAISE_AT = 3
CLEAR_AFTER_S = 3


def overflow_config(webhook_url: str) -> dict:
    return {"reconcile_seconds": 2, "full_resync_seconds": 30,
            "webhooks": {"urls": [webhook_url], "max_attempts": 3},
            "queues": {"tourism": {"rules": [{"id": "waiting", "metric": "callers_waiting",
                                              "warning": {"raise": RAISE_AT, "clear": 1},
                                              "clear_after_s": CLEAR_AFTER_S}],
                                   "overflow": {"enabled": True, "action": "route", "queue": "general",
                                                "min_severity": "warning"}},
                       "business": {"rules": []}, "general": {"rules": []}}}


@pytest.fixture(scope="module")
def webhook():
    """Alert webhooks POSTed by the controller, kept with their arrival time."""
    with WebhookReceiver().start() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def overflow_controller(controller_with_env, redis_server, webhook, tmp_path_factory):
    """The shared controller restarted on the test overflow config (the normal one again afterwards)."""
    path = tmp_path_factory.mktemp("overflow") / "overflow.yaml"
    path.write_text(yaml.safe_dump(overflow_config(webhook.url)), encoding="utf-8")
    client = sync_redis.Redis.from_url(redis_server)
    client.delete(ACTIVE_KEY, STREAM_KEY)       # no alert of an earlier run is restored at start
    client.close()
    with controller_with_env(HOTLINE_OVERFLOW_FILE=str(path)) as controller:
        yield controller


@pytest.fixture
async def supervisor(settings, overflow_controller, redis, webhook):
    """Logged in as the supervisor; every message of /ws/supervisor kept with its arrival time."""
    base = f"http://{settings.http_host}:{settings.http_port}"
    http = httpx.AsyncClient(base_url=base, timeout=10)
    login = await http.post("/api/auth/login", json={"username": "supervisor", "password": "supervisor@12345"})
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    async with websocket_messages(f"ws://{settings.http_host}:{settings.http_port}/ws/supervisor?token={token}") \
            as messages:
        webhook.received.clear()
        yield SimpleNamespace(http=http, base=base, token=token, ws=messages, webhook=webhook)
    await http.aclose()


@pytest.fixture
async def ami(settings, overflow_controller):
    """An observer AMI session: QueueCallerJoin of each queue with its arrival time (no AGI handling)."""
    manager = AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
                         action_timeout=5.0)
    joins: list[tuple[float, str, int]] = []
    manager.on_event("QueueCallerJoin", lambda e: joins.append((time.time(), e.get("Queue"), int(e.get("Count") or 0))))
    await manager.connect()
    yield SimpleNamespace(manager=manager, joins=joins)
    await manager.close()


async def flood(sipp, settings, count: int) -> list[str]:
    """`count` callers pressing 9; they wait in the queue until an agent answers and hangs up."""
    callers = [new_caller() for _ in range(count)]
    for caller_id in callers:
        sipp.caller(settings.hotline_number, caller_id=caller_id, steps=hotline_steps(settings, "9"),
                    max_hold=240).start()
        await asyncio.sleep(0.4)
    return callers


async def waiting_in_asterisk(ami, queue: str = "hotline-tourism") -> int:
    [summary] = [e for e in await ami.manager.send_action_list("QueueSummary", Queue=queue) if e.name == "QueueSummary"]
    return int(summary["Callers"])


async def tourism_view(sup) -> dict:
    response = await sup.http.get("/api/queues", params={"history_minutes": 0})
    assert response.status_code == 200, response.text
    return next(q for q in response.json()["queues"] if q["queue"] == "tourism")


def gauges(text: str) -> dict[str, float]:
    """Prometheus samples of the tourism queue: {'callers_waiting': 4.0, ...}."""
    out = {}
    for line in text.splitlines():
        if line.startswith("hotline_queue_") and '{queue="tourism"}' in line:
            name, value = line.split(" ")
            out[name.removeprefix("hotline_queue_").split("{")[0]] = float(value)
    return out


async def agents_answer_until_cleared(sipp, silent_agent, sup, timeout: float = 120) -> float:
    """agent2 picks up from now on (1 s calls); returns when the tourism alert cleared on the WebSocket."""
    silent_agent.stop()
    sipp.agent_phone(2, answer=True, answer_delay=0.2, talk_seconds=1)
    cleared = await eventually(lambda: [t for t, a in queue_alerts(sup.ws) if a["kind"] == "cleared"], timeout,
                               "alert cleared")
    return cleared[0]


async def test_flood_raises_on_websocket_and_webhook_then_clears_once(settings, sipp, ami, supervisor, redis,
                                                                       chromium):
    sup = supervisor
    silent_agent = sipp.agent_phone(2, answer=False)          # rings, never answers
    started = time.time()
    await flood(sipp, settings, FLOOD)

    crossing = await eventually(lambda: next((t for t, q, n in ami.joins if q == "hotline-tourism" and n >= RAISE_AT),
                                             None), 40, f"{RAISE_AT} callers in hotline-tourism")
    ws_at, alert = (await eventually(lambda: queue_alerts(sup.ws), 10, "alert on the WebSocket"))[0]
    assert (alert["kind"], alert["severity"], alert["rule"]) == ("raised", "warning", "waiting")
    assert alert["value"] >= RAISE_AT and "需要增配" in alert["message"]
    assert ws_at - crossing < 5.0, f"WebSocket alert {ws_at - crossing:.2f}s after the threshold"
    hook_at, hook = (await eventually(lambda: sup.webhook.received, 5, "webhook POST"))[0]
    assert (hook["alert_id"], hook["kind"]) == ("tourism:waiting", "raised")
    assert hook_at - crossing < 5.0, f"webhook {hook_at - crossing:.2f}s after the threshold"
    print(f"\nflood → {RAISE_AT} waiting {crossing - started:.2f}s after the first INVITE; alert "
          f"WebSocket +{ws_at - crossing:.3f}s, webhook +{hook_at - crossing:.3f}s")

    # the live numbers while the whole flood waits: API, Prometheus and Asterisk agree
    await eventually(lambda: [q for _, q, _ in ami.joins if q == "hotline-tourism"][FLOOD - 1:], 30, "whole flood")
    view = await eventually(_view_with(sup, FLOOD), 15, f"/api/queues showing {FLOOD} waiting")
    assert await waiting_in_asterisk(ami) == FLOOD
    assert view["longest_wait_s"] > 0 and view["agents_logged_in"] >= 1
    assert [a["alert_id"] for a in view["alerts"]] == ["tourism:waiting"]
    metrics = await sup.http.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    tourism = gauges(metrics.text)
    assert tourism["callers_waiting"] == FLOOD and tourism["active_alerts"] == 1
    assert tourism["longest_wait_seconds"] > 0 and "agents_to_add" in tourism

    card, waiting = await screenshot_wallboard(chromium, sup.base, sup.token, ARTIFACTS / "wallboard_live.png")
    assert "文旅服务专线" in card and "【预警】" in card and "需要增配" in card and waiting == FLOOD

    # agents answer: the alert clears once, CLEAR_AFTER_S after the queue is back at <= 1 caller
    answering_from = time.time()
    cleared_at = await agents_answer_until_cleared(sipp, silent_agent, sup)
    await asyncio.sleep(CLEAR_AFTER_S + 2)                  # a flapping rule would announce again here
    assert [a["kind"] for _, a in queue_alerts(sup.ws)] == ["raised", "cleared"]
    await eventually(lambda: len(sup.webhook.received) >= 2, 10, "clear webhook")
    assert [b["kind"] for _, b in sup.webhook.received] == ["raised", "cleared"]
    stream = [f for _, f in await redis.xrange(STREAM_KEY) if f["alert_id"] == "tourism:waiting"]
    assert [f["kind"] for f in stream] == ["raised", "cleared"]
    assert await redis.hget(ACTIVE_KEY, "tourism:waiting") is None
    view = await tourism_view(sup)
    assert view["callers_waiting"] <= 1 and view["answered"] >= FLOOD - 1 and not view["alerts"]
    print(f"alert cleared {cleared_at - answering_from:.1f}s after agent2 started answering (1 s calls)")


def _view_with(sup, waiting: int):
    async def check():
        view = await tourism_view(sup)
        return view if view["callers_waiting"] == waiting else None
    return check


async def test_new_caller_overflows_to_general_while_the_alert_is_active(settings, sipp, ami, supervisor, redis):
    sup = supervisor
    journal = Journal(redis)
    silent_agent = sipp.agent_phone(2, answer=False)
    general_agent = sipp.agent_phone(3, answer=True, answer_delay=0.2, talk_seconds=1)
    await flood(sipp, settings, RAISE_AT)
    await eventually(lambda: queue_alerts(sup.ws), 40, "tourism alert raised")

    caller_id, started = new_caller(), time.time()
    sipp.caller(settings.hotline_number, caller_id=caller_id, steps=hotline_steps(settings, "9"), max_hold=60).start()
    await general_agent.wait_for("INVITE", caller=caller_id, timeout=30)
    print(f"\noverflowed caller rang agent3 {time.time() - started:.2f}s after dialling")
    assert await general_agent.wait_for("ANSWERED", caller=caller_id, timeout=10), "agent3 (general) answers"
    call = await eventually(lambda: _connected_call(journal, caller_id, started), 10, "journal")
    overflow = next(e for e in call["events"] if e["event"] == "overflow")
    assert (overflow["from_queue"], overflow["to_queue"]) == ("tourism", "general")
    assert [e["queue"] for e in call["events"] if e["event"] == "route"] == ["general"]
    assert (call["route"], call["queue"], call["agent"]) == ("general", "hotline-general", "agent3")
    assert not silent_agent.events_for(caller_id), "the overflowed caller never rang the tourism agent"
    assert await waiting_in_asterisk(ami) == RAISE_AT       # the tourism queue did not grow

    # once the alert has cleared, key 9 leads to tourism again
    await agents_answer_until_cleared(sipp, silent_agent, sup)
    caller_id, started = new_caller(), time.time()
    sipp.caller(settings.hotline_number, caller_id=caller_id, steps=hotline_steps(settings, "9"), max_hold=60).start()
    call = await eventually(lambda: _connected_call(journal, caller_id, started), 40, "journal")
    assert call["route"] == "tourism" and call["agent"] == "agent2"
    assert "overflow" not in [e["event"] for e in call["events"]]


async def _connected_call(journal: Journal, caller_id: str, since: float) -> dict | None:
    """The caller's journal once the summary names the agent (written just after the agent_connect event)."""
    call = await find_call(journal, caller_id, since=since - 1, timeout=0.5)
    return call if call and call.get("agent") else None
