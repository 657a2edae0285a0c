"""Supervisor HTTP: live queues, alerts, Prometheus metrics, WebSocket feed and the wallboard page."""
from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hotline.api.deps import RuntimeDep, SupervisorUser, feature, ws_user
from hotline.core.processes import read_state
from hotline.dispatch.stats import DispatchCollector
from hotline.supervision.service import SupervisionService
from hotline.web import page

router = APIRouter(tags=["supervision"])
Supervision = Annotated[SupervisionService, Depends(feature("supervision"))]


@router.get("/api/queues")
async def queues(service: Supervision, _: SupervisorUser, history_minutes: int = Query(60, ge=0, le=1440)) -> dict:
    """Live numbers per queue, staffing advice, active alerts and the per-minute history."""
    now = time.time()
    view = service.queues_view(now)
    for queue in view:
        queue["history"] = await service.store.points(queue["queue"], history_minutes) if history_minutes else []
    return {"at": now, "queues": view}


@router.get("/api/alerts")
async def alerts(service: Supervision, _: SupervisorUser, limit: int = Query(100, ge=1, le=1000)) -> dict:
    """Active alerts and the latest raise/clear history (newest first) from the alerts stream."""
    return {"active": list(service.active.values()), "history": await service.store.history(limit)}


class _QueueCollector:
    def __init__(self, service: SupervisionService) -> None:
        self.service = service

    def collect(self):
        now = time.time()
        gauges = {name: GaugeMetricFamily(f"hotline_queue_{name}", doc, labels=["queue"]) for name, doc in (
            ("callers_waiting", "Callers waiting in the queue"),
            ("longest_wait_seconds", "Wait of the oldest caller in the queue"),
            ("agents_logged_in", "Queue members logged in"), ("agents_available", "Queue members free"),
            ("agents_busy", "Queue members on a call"), ("agents_paused", "Queue members paused"),
            ("service_level_percent", "Answered within the target, last 15 min"),
            ("answer_rate_percent", "Answered of finished callers, last 15 min"),
            ("arrivals_per_minute", "Callers joining per minute, last 5 min"),
            ("agents_to_add", "Erlang C: agents to add to meet the service level"),
            ("active_alerts", "Active overflow alerts"))}
        for q in self.service.queues_view(now):
            values = {"callers_waiting": q["callers_waiting"], "longest_wait_seconds": q["longest_wait_s"],
                      "agents_logged_in": q["agents_logged_in"], "agents_available": q["agents_available"],
                      "agents_busy": q["agents_busy"], "agents_paused": q["agents_paused"],
                      "service_level_percent": q["service_level"], "answer_rate_percent": q["answer_rate"],
                      "arrivals_per_minute": q["arrival_rate_per_min"]["5m"],
                      "agents_to_add": q["staffing"]["add_agents"], "active_alerts": len(q["alerts"])}
            for name, value in values.items():
                if value is not None:
                    gauges[name].add_metric([q["queue"]], float(value))
        yield from gauges.values()


class _ProcessCollector:
    """Restarts of the processes `hotline supervise` keeps running (state dir supervisor.json)."""

    def __init__(self, state_dir) -> None:
        self.state_dir = state_dir

    def collect(self):
        restarts = CounterMetricFamily("hotline_process_restarts", "Restarts by the supervisor after an exit",
                                       labels=["process"])
        for name, child in read_state(self.state_dir).items():
            restarts.add_metric([name], float(child.get("restarts", 0)))
        yield restarts


class _CallTimingCollector:
    """How late the controller takes new calls (AsyncAGIStart stamp → pickup, worst of the last minute) and how
    late Asterisk answers them (worst of the last 20 s: what the ring gives way to, ivr/answer_timing.py)."""

    def __init__(self, agi, calls) -> None:
        self.agi, self.calls = agi, calls

    def collect(self):
        yield GaugeMetricFamily("hotline_agi_pickup_lag_seconds",
                                "Worst delay over the last minute between Asterisk starting a call's AsyncAGI "
                                "and the controller taking it", value=self.agi.pickup_lag.worst())
        if self.calls is not None:
            yield GaugeMetricFamily("hotline_answer_lateness_seconds",
                                    "Worst delay over the last 20 s between when the call flow asked for an answer "
                                    "and Asterisk's answer; the ring is shortened by it",
                                    value=self.calls.flow.answer_timing.lateness.worst())


@router.get("/metrics")
async def metrics(service: Supervision, runtime: RuntimeDep) -> Response:
    """Prometheus text format (unauthenticated, like most exporters; bind the app to a private address)."""
    registry = CollectorRegistry()
    registry.register(_QueueCollector(service))
    if runtime.settings is not None:
        registry.register(_ProcessCollector(runtime.settings.state_dir))
    if getattr(runtime, "agi", None) is not None:
        registry.register(_CallTimingCollector(runtime.agi, runtime.features.calls))
    if getattr(runtime.features, "survey", None) is not None:   # 满意率 (hotline/survey)
        registry.register(await runtime.features.survey.metrics_collector())
    registry.register(await DispatchCollector.snapshot(runtime.redis))   # the 150 s 派单 measure
    if getattr(runtime.features, "callbacks", None) is not None:   # 预约回拨 (hotline/callback)
        from hotline.callback.http import CallbackCollector
        registry.register(CallbackCollector(runtime.features.callbacks))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.websocket("/ws/supervisor")
async def supervisor_feed(websocket: WebSocket) -> None:
    """`?token=`; sends {"type": "alert", "alert": ...} on every raise/clear and {"type": "queues"} every second."""
    if await ws_user(websocket, "supervisor") is None:   # accepts, or closes with 4401/4403
        return
    service = websocket.app.state.runtime.features.supervision
    if service is None:
        await websocket.close(code=1013, reason="supervision is not running")
        return
    now = time.time()
    await websocket.send_json({"type": "hello", "at": now, "active": list(service.active.values()),
                               "queues": service.queues_view(now)})
    service.hub.add(websocket)
    try:
        while True:
            await websocket.receive_text()      # nothing expected from the page; keeps the socket read
    except WebSocketDisconnect:
        pass
    finally:
        service.hub.remove(websocket)


@router.get("/wallboard", include_in_schema=False)
async def wallboard() -> FileResponse:
    return page("wallboard.html")
