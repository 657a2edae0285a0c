"""Hotspot reports over HTTP: GET /api/reports/hotspots (JSON or CSV) for supervisors and admins, and /reports."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, Response

from hotline.api.deps import RedisDep, RuntimeDep, SupervisorUser
from hotline.reports import export, hotspots
from hotline.reports.places import PlacesError
from hotline.web import page

router = APIRouter(tags=["reports"])


@router.get("/api/reports/hotspots")
async def hotspot_report(redis: RedisDep, runtime: RuntimeDep, _: SupervisorUser,
                         period: Literal["day", "week", "month"] = "day",
                         date: str | None = Query(None, description="YYYY-MM-DD; default today"),
                         format: Literal["json", "csv"] = "json"):
    """Counts by line, category, district and place against the previous period and the trailing baseline,
    top places, category spikes and same-issue clusters (同诉) of the day/week/month holding `date`."""
    try:
        day = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        raise HTTPException(422, f"date must be YYYY-MM-DD, not {date[:20]!r}") from None
    try:
        lines = runtime.lines
        report = await hotspots.hotspots(redis, period, day, line_labels={n: lines.label(n) for n in lines.names})
    except PlacesError as exc:
        raise HTTPException(503, f"the gazetteer is broken: {exc}") from None
    if format == "csv":
        name = f"hotspots-{period}-{report['start']}.csv"
        return Response(export.to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return report


@router.get("/reports", include_in_schema=False)
async def reports_page() -> FileResponse:
    return page("reports.html")
