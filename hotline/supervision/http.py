"""Supervisor HTTP: live queues, alerts, Prometheus metrics, WebSocket feed and the wallboard page."""
from __future__ import annotations

import time
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hotline.agents.auth import require_role, ws_user
from hotline.supervision.service import SupervisionService, service_for

router = APIRouter(tags=["supervision"])
STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {"wallboard.js": "text/javascript", "wallboard.css": "text/css"}
supervisor = require_role("supervisor")


def _service(runtime) -> SupervisionService:
    service = service_for(runtime)
    if service is None:
        raise HTTPException(503, "supervision is not running")
    return service


@router.get("/api/queues")
async def queues(request: Request, history_minutes: int = Query(60, ge=0, le=1440),
                 _user=Depends(supervisor)) -> dict:
    """Live numbers per queue, staffing advice, active alerts and the per-minute history."""
    service = _service(request.app.state.runtime)
    now = time.time()
    view = service.queues_view(now)
    for queue in view:
        queue["history"] = await service.store.points(queue["queue"], history_minutes) if history_minutes else []
    return {"at": now, "queues": view}


@router.get("/api/alerts")
async def alerts(request: Request, limit: int = Query(100, ge=1, le=1000), _user=Depends(supervisor)) -> dict:
    """Active alerts and the latest raise/clear history (newest first) from the hotline:alerts stream."""
    service = _service(request.app.state.runtime)
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


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format (unauthenticated, like most exporters; bind the app to a private address)."""
    registry = CollectorRegistry()
    registry.register(_QueueCollector(_service(request.app.state.runtime)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.websocket("/ws/supervisor")
async def supervisor_feed(websocket: WebSocket) -> None:
    """`?token=`; sends {"type": "alert", "alert": ...} on every raise/clear and {"type": "queues"} every second."""
    if await ws_user(websocket, "supervisor") is None:   # accepts, or closes with 4401/4403
        return
    service = service_for(websocket.app.state.runtime)
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
    return FileResponse(STATIC_DIR / "wallboard.html", media_type="text/html; charset=utf-8")


@router.get("/wallboard/static/{name}", include_in_schema=False)
async def wallboard_static(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(404)
    return FileResponse(STATIC_DIR / name, media_type=f"{STATIC_FILES[name]}; charset=utf-8")
