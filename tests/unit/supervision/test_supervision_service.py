"""The service wired to a fake AMI server (real socket, real AmiManager) and a real redis-server."""
import asyncio
import json

import httpx

from hotline.core.lines import parse_lines
from hotline.runtime import Features
from hotline.supervision import service as service_mod
from hotline.supervision.config import parse_config
from hotline.supervision.service import SupervisionService
from hotline.supervision.store import ACTIVE_KEY, STREAM_KEY
from telephony.ami.manager import AmiManager

from helpers import eventually

META = parse_lines({"queues": [{"name": "tourism", "asterisk_queue": "hotline-tourism", "label": "文旅服务专线"},
                               {"name": "general", "label": "综合服务"}]})
RULES = [{"id": "waiting", "metric": "callers_waiting", "warning": {"raise": 3, "clear": 1}, "clear_after_s": 5}]


def make_config(webhook_urls=(), overflow=None):
    tourism = {"rules": RULES} | ({"overflow": overflow} if overflow else {})
    return parse_config({"queues": {"tourism": tourism, "general": {"rules": []}},
                         "webhooks": {"urls": list(webhook_urls), "backoff_seconds": 0.05, "max_attempts": 3}})


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeSocket:
    def __init__(self):
        self.sent = []

    async def send_text(self, text):
        self.sent.append(json.loads(text))


def queue_status(waiting_uids):
    def handler(server, action):
        frames = [dict(Response="Success", EventList="start", Message="Queue status will follow"),
                  dict(Event="QueueParams", Queue="hotline-tourism", Max="0", Strategy="ringall",
                       Calls=str(len(waiting_uids)), Holdtime="0", TalkTime="0", Completed="0", Abandoned="0",
                       ServiceLevel="20", ServicelevelPerf="0.0", ServicelevelPerf2="0.0", Weight="0")]
        frames += [dict(Event="QueueEntry", Queue="hotline-tourism", Position=str(i + 1), Channel=f"PJSIP/c-{uid}",
                        Uniqueid=uid, CallerIDNum="13800000000", CallerIDName="", ConnectedLineNum="",
                        ConnectedLineName="", Wait="10", Priority="0") for i, uid in enumerate(waiting_uids)]
        return frames + [dict(Event="QueueStatusComplete", EventList="Complete", ListItems=str(len(frames) - 1))]
    return handler


async def all_handled(fake_ami, svc, count: int) -> None:
    """Until the service has handled `count` queue events: QUEUE_EVENTS share one ordered queue, so a
    Queue-less sentinel event (changes nothing) is handled after every event sent before it."""
    fake_ami.event("AgentComplete")
    await eventually(lambda: svc.counters["events"] >= count + 1, 5, f"{count} queue events handled")


async def test_alert_raised_once_survives_reconnect_and_clears_once(fake_ami, unit_redis, webhook_receiver):
    waiting = []
    fake_ami.handlers["QueueStatus"] = lambda s, a: queue_status(waiting)(s, a)
    ami = AmiManager("127.0.0.1", fake_ami.port, "hotline", "s3cret", ping_interval=30,
                     reconnect_backoff=(0.05, 0.1))
    clock, tasks = Clock(), []
    svc = SupervisionService(unit_redis, ami, make_config([webhook_receiver.url]), META, clock=clock)
    svc.spawn = lambda coro, name: tasks.append(asyncio.create_task(coro, name=name))
    await svc.start()
    ws = FakeSocket()
    svc.hub.add(ws)
    await ami.connect()
    try:
        for i in range(4):
            waiting.append(f"c{i}")
            fake_ami.event("QueueCallerJoin", Queue="hotline-tourism", Uniqueid=f"c{i}", Position=str(i + 1),
                           Count=str(i + 1))
        await all_handled(fake_ami, svc, 4)
        await svc.tick()                  # the rules run on the tick, not on each event
        alerts = [m["alert"] for m in ws.sent if m["type"] == "alert"]
        assert [(a["kind"], a["severity"], a["value"]) for a in alerts] == [("raised", "warning", 4.0)]   # on the tick
        assert alerts[0]["staffing"]["message"].startswith("需要增配")
        assert alerts[0]["label"] == "文旅服务专线" and "排队人数" in alerts[0]["message"]
        assert json.loads(await unit_redis.hget(ACTIVE_KEY, "tourism:waiting"))["severity"] == "warning"

        # the link drops; Asterisk still has the 4 callers; the re-sync must not re-announce
        resyncs = svc.counters["resyncs"]
        fake_ami.drop()
        await eventually(lambda: ami.connected and svc.counters["resyncs"] > resyncs, 5, "re-sync after reconnect")
        await svc.tick()
        assert len([m for m in ws.sent if m["type"] == "alert"]) == 1
        assert svc.model.snapshot("tourism", now=None)["callers_waiting"] == 4

        # callers answered: clears only after 5 s below the clear threshold, once
        handled = svc.counters["events"]
        for i in range(4):
            fake_ami.event("QueueCallerLeave", Queue="hotline-tourism", Uniqueid=f"c{i}", Position="1", Count="0")
            fake_ami.event("AgentConnect", Queue="hotline-tourism", Uniqueid=f"c{i}", Interface="PJSIP/agent2",
                           MemberName="agent2", HoldTime="12", RingTime="2")
        waiting.clear()
        await all_handled(fake_ami, svc, handled + 8)
        for _ in range(8):
            clock.now += 1
            await svc.tick()
        kinds = [m["alert"]["kind"] for m in ws.sent if m["type"] == "alert"]
        assert kinds == ["raised", "cleared"]
        assert await unit_redis.hget(ACTIVE_KEY, "tourism:waiting") is None
        stream = await unit_redis.xrange(STREAM_KEY)
        assert [f["kind"] for _, f in stream] == ["raised", "cleared"]

        # the webhook failed once (HTTP 500) and was retried; both alerts arrive
        await svc.webhooks.drain()
        assert [a["kind"] for _, a in webhook_receiver.received] == ["raised", "cleared"]
    finally:
        for t in tasks:
            t.cancel()
        await svc.stop()
        await ami.close()


async def test_restart_restores_active_alerts_without_duplicates(fake_ami, unit_redis):
    fake_ami.handlers["QueueStatus"] = queue_status(["a", "b", "c", "d"])
    for attempt in range(2):
        ami = AmiManager("127.0.0.1", fake_ami.port, "hotline", "s3cret", ping_interval=30)
        svc = SupervisionService(unit_redis, ami, make_config(), META)
        svc.spawn = lambda coro, name: coro.close()
        await svc.start()
        ws = FakeSocket()
        svc.hub.add(ws)
        await ami.connect()          # on_connect: QueueStatus → 4 waiting
        await eventually(lambda svc=svc: svc.counters["resyncs"] >= 1, 5, "the on_connect re-sync")
        await svc.evaluate(svc.clock())  # waits for the re-sync's own evaluation (one lock); adds nothing
        sent = [m["alert"]["kind"] for m in ws.sent if m["type"] == "alert"]
        assert sent == (["raised"] if attempt == 0 else [])
        await ami.close()
    assert len(await unit_redis.xrange(STREAM_KEY)) == 1


async def test_failing_webhook_never_blocks_alerting(unit_redis):
    # nothing listens on port 9: every attempt fails fast, the alert still goes out at once
    svc = SupervisionService(unit_redis, None, make_config(["http://127.0.0.1:9/x"]), META)
    ws = FakeSocket()
    svc.hub.add(ws)
    svc.model.queue("tourism").waiting.update({f"c{i}": 0.0 for i in range(3)})
    loop = asyncio.get_running_loop()
    started = loop.time()
    await svc.evaluate(1.0)
    assert loop.time() - started < 0.5 and ws.sent[0]["alert"]["kind"] == "raised"
    await svc.webhooks.drain()
    assert svc.webhooks.failed == 1 and svc.webhooks.delivered == 0
    await svc.stop()


async def test_overflow_for(unit_redis):
    from hotline.supervision.config import load_config
    shipped = SupervisionService(unit_redis, None, load_config(), META)
    assert await shipped.overflow_for("tourism") is None                 # shipped config: off
    config = make_config(overflow={"enabled": True, "action": "route", "queue": "general",
                                   "min_severity": "warning"})
    svc = SupervisionService(unit_redis, None, config, META)
    assert await svc.overflow_for("tourism") is None                     # no alert
    svc.active["tourism:waiting"] = {"queue": "tourism", "severity": "warning"}
    assert (await svc.overflow_for("tourism"))["queue"] == "general"
    assert await svc.overflow_for("general") is None
    svc.active["general:x"] = {"queue": "general"}                       # cleared (no severity)
    assert await svc.overflow_for("general") is None


async def test_http_api_requires_supervisor(unit_redis):
    from types import SimpleNamespace

    from hotline.api.app import create_app
    from hotline.auth.service import get_directory, issue_token
    from ivr.answer_timing import AnswerTiming
    from telephony.ami.lag import EventLag

    agi = SimpleNamespace(pickup_lag=EventLag(clock=lambda: 100.0))
    agi.pickup_lag.observe("98.75")
    runtime = SimpleNamespace(redis=unit_redis, ami=None, agi=agi, settings=None, features=Features(), lines=META)
    svc = SupervisionService(unit_redis, None, make_config(), META)
    runtime.features.supervision = svc
    timing = AnswerTiming(1.0, clock=lambda: 100.0)
    timing.lateness.add(0.4)
    runtime.features.calls = SimpleNamespace(flow=SimpleNamespace(answer_timing=timing))
    svc.model.queue("tourism").waiting.update({"a": 0.0, "b": 0.0, "c": 0.0})
    await svc.evaluate(30.0)
    directory = get_directory()
    sup_token = await issue_token(unit_redis, directory.get("supervisor"), 60)
    agent_token = await issue_token(unit_redis, directory.get("agent1"), 60)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/queues")).status_code == 401
        assert (await client.get("/api/queues", headers={"Authorization": f"Bearer {agent_token}"})).status_code == 403
        auth = {"Authorization": f"Bearer {sup_token}"}
        data = (await client.get("/api/queues", headers=auth)).json()
        tourism = next(q for q in data["queues"] if q["queue"] == "tourism")
        assert tourism["callers_waiting"] == 3 and tourism["alerts"][0]["severity"] == "warning"
        assert "add_agents" in tourism["staffing"] and tourism["history"] == []
        alerts = (await client.get("/api/alerts", headers=auth)).json()
        assert alerts["active"][0]["alert_id"] == "tourism:waiting" and alerts["history"][0]["kind"] == "raised"
        metrics = (await client.get("/metrics")).text
        assert 'hotline_queue_callers_waiting{queue="tourism"} 3.0' in metrics
        assert "hotline_agi_pickup_lag_seconds 1.25" in metrics
        assert "hotline_answer_lateness_seconds 0.4" in metrics
        page = await client.get("/wallboard")
        assert page.status_code == 200 and "班长监控大屏" in page.text
        assert (await client.get("/static/wallboard.js")).status_code == 200
        assert (await client.get("/static/..%2Fservice.py")).status_code == 404
    runtime.features.supervision = None
