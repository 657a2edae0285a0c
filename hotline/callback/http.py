"""预约回拨 over HTTP: GET /api/callbacks (supervisors: the wallboard's card) and the /metrics collector."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from hotline.api.deps import SupervisorUser, feature
from hotline.callback.service import CallbackFeature

router = APIRouter(tags=["callback"])
Callbacks = Annotated[CallbackFeature, Depends(feature("callbacks"))]


@router.get("/api/callbacks")
async def callbacks(service: Callbacks, _: SupervisorUser, limit: int = Query(50, ge=1, le=500)) -> dict:
    """Counts (pending now; connected and failed so far), each offering line's offer state and estimated wait,
    and the latest call-backs, newest first (numbers masked)."""
    return await service.view(limit)


class CallbackCollector:
    """hotline_callbacks_pending (gauge), hotline_callbacks_total{result} (counter), from the feature's last tick."""

    def __init__(self, service: CallbackFeature) -> None:
        self.service = service

    def collect(self):
        counts = self.service.counts
        pending = GaugeMetricFamily("hotline_callbacks_pending", "call-backs waiting in a queue, dialing or due")
        pending.add_metric([], float(counts.get("pending", 0)))
        yield pending
        total = CounterMetricFamily("hotline_callbacks", "call-backs by result", labels=["result"])
        for result in ("requested", "connected", "failed"):
            total.add_metric([result], float(counts.get(result, 0)))
        yield total
