"""Overflow alerts against the real sandbox: SIPp callers flood the tourism queue of real Asterisk 22.

Callers dial 12345 like any citizen. This test plays the controller's routing part itself (heartbeat +
AsyncAGI: HOTLINE_QUEUE=tourism, then break out), which is the dialplan's contract for "key 9": the
caller lands in [hotline-queue] → Queue(hotline-tourism). No test-only dialplan is needed.
"""
import asyncio
import time
from types import SimpleNamespace

import pytest

from hotline.api.app import create_app
from hotline.auth.service import get_directory, issue_token
from hotline.core.lines import load_lines
from hotline.runtime import Features
from hotline.supervision.config import parse_config
from hotline.supervision.service import SupervisionService
from hotline.supervision.store import STREAM_KEY
from ivr.service import write_heartbeat
from telephony.agi import AsyncAgi
from telephony.agi_channel import AgiChannel
from telephony.ami.manager import AmiManager

from helpers import (
    ARTIFACTS,
    WebhookReceiver,
    eventually,
    queue_alerts,
    screenshot_wallboard,
    serving,
    websocket_messages,
)

pytestmark = pytest.mark.integration
FLOOD = 5
RAISE_AT = 3


def manager(settings) -> AmiManager:
    return AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
                      ping_interval=1.0, action_timeout=5.0, reconnect_backoff=(0.3, 1.0))


@pytest.fixture
async def driver(settings, pbx):
    """The test's own AMI link: heartbeat + AsyncAGI routing of every 12345 call to the tourism queue."""
    ami = manager(settings)
    agi = AsyncAgi(ami)
    joins: list[tuple[float, int]] = []

    async def route(channel: str) -> None:
        call = AgiChannel(agi, channel)
        await call.set_variable("TIMEOUT(absolute)", "0")
        await call.set_variable("HOTLINE_QUEUE", "tourism")
        await call.release()

    agi.on_start(lambda channel, env: asyncio.ensure_future(route(channel)))
    ami.on_event("QueueCallerJoin", lambda e: e.get("Queue") == "hotline-tourism"
                 and joins.append((time.time(), int(e.get("Count") or 0))))
    await ami.connect()

    async def beat():
        while True:
            await write_heartbeat(ami)
            await asyncio.sleep(1.0)
    beater = asyncio.create_task(beat())
    await asyncio.sleep(1.2)
    yield SimpleNamespace(ami=ami, joins=joins)
    beater.cancel()
    try:
        await ami.send_action("QueueRemove", Queue="hotline-tourism", Interface="PJSIP/agent4")
    except Exception:
        pass
    await agi.close()
    await ami.close()


@pytest.fixture
async def supervision(settings, pbx, redis, free_port):
    """Supervision service + web app (uvicorn) on this instance, alerts POSTed to a local webhook."""
    with WebhookReceiver().start() as receiver:
        config = parse_config({
            "reconcile_seconds": 2, "full_resync_seconds": 30,
            "webhooks": {"urls": [receiver.url], "backoff_seconds": 0.2, "max_attempts": 3},
            "queues": {"tourism": {"rules": [{"id": "waiting", "metric": "callers_waiting",
                                              "warning": {"raise": RAISE_AT, "clear": 1}, "clear_after_s": 3}]},
                       "business": {"rules": []}, "general": {"rules": []}}})
        ami = manager(settings)
        lines = load_lines(settings.queues_file)
        svc = SupervisionService(redis, ami, config, lines)
        tasks: list[asyncio.Task] = []
        svc.spawn = lambda coro, name: tasks.append(asyncio.create_task(coro, name=name))
        await svc.start()
        await ami.connect()
        runtime = SimpleNamespace(redis=redis, ami=ami, settings=settings, features=Features(supervision=svc),
                                  lines=lines)
        port = free_port()
        token = await issue_token(redis, get_directory().get("supervisor"), 3600)
        async with serving(create_app(runtime), port), \
                websocket_messages(f"ws://127.0.0.1:{port}/ws/supervisor?token={token}") as ws_messages:
            yield SimpleNamespace(svc=svc, ami=ami, port=port, token=token, ws=ws_messages, webhook=receiver)
        for task in tasks:
            task.cancel()
        await svc.stop()
        await ami.close()


async def test_flood_raises_once_resyncs_and_clears_once(settings, no_controller, sipp, driver, supervision, redis,
                                                         chromium):
    sup = supervision
    members = await driver.ami.send_action_list("QueueStatus", Queue="hotline-tourism")
    assert any(m.get("Name") == "agent2" or "agent2" in (m.get("Location") or "") for m in members
               if m.name == "QueueMember"), "agent2 should be a static member of hotline-tourism"
    silent_agent = sipp.agent_phone(2, answer=False)          # rings, never answers

    # flood: 5 callers who wait until the far end hangs up
    for _ in range(FLOOD):
        sipp.caller(settings.hotline_number, hold=None, answer_timeout=30).start()
        await asyncio.sleep(0.4)
    crossing = await eventually(lambda: next((t for t, count in driver.joins if count >= RAISE_AT), None),
                                30, f"{RAISE_AT} callers in hotline-tourism")
    raised = await eventually(lambda: queue_alerts(sup.ws), 10, "alert on the WebSocket")
    ws_at, alert = raised[0]
    assert alert["kind"] == "raised" and alert["severity"] == "warning" and alert["rule"] == "waiting"
    assert ws_at - crossing < 5.0, f"alert took {ws_at - crossing:.2f}s after the threshold"
    assert alert["value"] >= RAISE_AT and alert["staffing"]["message"].startswith("需要增配")
    hook = await eventually(lambda: sup.webhook.received, 5, "webhook POST")
    assert hook[0][1]["alert_id"] == "tourism:waiting" and hook[0][0] - crossing < 5.0

    # the wallboard during the flood (headless Chromium)
    await eventually(lambda: sup.svc.model.snapshot("tourism", None)["callers_waiting"] >= FLOOD, 20, "whole flood")
    card, _ = await screenshot_wallboard(chromium, f"http://127.0.0.1:{sup.port}", sup.token,
                                         ARTIFACTS / "wallboard_flood.png")
    assert "文旅服务专线" in card and "需要增配" in card

    # the AMI link drops; one more caller joins while it is down; the re-sync must catch up, not re-alert
    resyncs = sup.svc.counters["resyncs"]
    sup.ami._conn.close()
    sipp.caller(settings.hotline_number, hold=None, answer_timeout=30).start()
    await eventually(lambda: sup.ami.connected and sup.svc.counters["resyncs"] > resyncs, 15, "AMI reconnect")

    async def in_sync():
        [summary] = [e for e in await driver.ami.send_action_list("QueueSummary", Queue="hotline-tourism")
                     if e.name == "QueueSummary"]
        live = sup.svc.model.snapshot("tourism", None)
        return int(summary["Callers"]) == live["callers_waiting"] == FLOOD + 1
    await eventually(in_sync, 20, "model re-synced with Asterisk's QueueSummary")
    assert [a["kind"] for _, a in queue_alerts(sup.ws)] == ["raised"]

    # agents answer: agent2 picks up now, agent4 joins the queue; each call lasts 1 s
    silent_agent.stop()
    sipp.agent_phone(2, answer=True, answer_delay=0.2, talk_seconds=1)
    sipp.agent_phone(4, answer=True, answer_delay=0.2, talk_seconds=1)
    await driver.ami.send_action("QueueAdd", Queue="hotline-tourism", Interface="PJSIP/agent4", MemberName="agent4")
    await eventually(lambda: len(queue_alerts(sup.ws)) >= 2, 120, "alert cleared")
    await asyncio.sleep(4)   # a flapping rule would announce again here
    kinds = [a["kind"] for _, a in queue_alerts(sup.ws)]
    assert kinds == ["raised", "cleared"]
    stream = [f for _, f in await redis.xrange(STREAM_KEY) if f["alert_id"] == "tourism:waiting"]
    assert [f["kind"] for f in stream] == ["raised", "cleared"]
    await sup.svc.webhooks.drain()
    assert [b["kind"] for _, b in sup.webhook.received] == ["raised", "cleared"]
    snap = sup.svc.model.snapshot("tourism", time.time())
    assert snap["answered"] >= FLOOD and snap["callers_waiting"] <= 1
