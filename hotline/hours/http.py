"""Opening hours API: read (supervisors and admins), replace (admins; validated, audited, applied at once)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, RedisDep, SupervisorUser, feature
from hotline.hours.model import HoursError
from hotline.hours.service import HoursService

router = APIRouter(prefix="/api/hours", tags=["admin: opening hours"])
HoursDep = Annotated[HoursService, Depends(feature("hours"))]


class HoursUpdate(BaseModel):
    lines: dict[str, Any] = Field(description="line name → {weekly: {mon: ['09:00-17:00'], ...}, "
                                              "holidays: [{date, until?, name}], closed: {prompt, queue | callback}}")
    note: str = Field(default="", max_length=200)


def _view(hours: HoursService) -> dict:
    return {"timezone": hours.settings.timezone, "local_now": hours.local_now().isoformat(timespec="seconds"),
            "clock_offset_seconds": hours.settings.clock_offset_seconds,
            "labels": hours.lines.labels(), "status": hours.status(), **hours.view()}


@router.get("")
async def get_hours(hours: HoursDep, _: SupervisorUser) -> dict:
    """Every line's weekly schedule, holidays and closed-path; which lines are open now (in `timezone`).
    A line not in `lines` is always open."""
    return _view(hours)


@router.put("")
async def put_hours(body: HoursUpdate, hours: HoursDep, redis: RedisDep, user: AdminUser, request: Request) -> dict:
    """Replace the whole hours book (admins). 422 with the schema's message when invalid; the next key press
    uses the new hours."""
    try:
        await hours.replace(redis, actor_of(user, request), {"lines": body.lines}, body.note)
    except HoursError as exc:
        raise HTTPException(422, str(exc).removeprefix("hours: ")) from None
    except OSError as exc:      # e.g. a read-only config mount: nothing was changed
        raise HTTPException(503, f"cannot write hours.yaml: {exc.strerror or exc}") from None
    return _view(hours)
