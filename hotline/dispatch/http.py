"""Dispatch HTTP: the unit directory (read: agents and supervisors; write: admins, audited), dispatching a
ticket (the agent holding it or a supervisor) and the day's 150 s share (wallboard)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hotline.admin import audit
from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, AgentOrSupervisor, AgentUser, RedisDep, SupervisorUser, feature
from hotline.auth.users import Role
from hotline.dispatch import stats
from hotline.dispatch.directory import UnitsError, parse_units, save_units
from hotline.dispatch.service import DispatchFeature
from hotline.tickets import access, service
from hotline.tickets.http import _call
from hotline.tickets.model import NOTES_MAX
from hotline.tickets.taxonomy import default_taxonomy

router = APIRouter(tags=["dispatch"])
Dispatch = Annotated[DispatchFeature, Depends(feature("dispatch"))]


class DispatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    unit: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=NOTES_MAX)


def _directory(dispatch: DispatchFeature) -> Any:
    try:
        return dispatch.directory()
    except UnitsError as exc:
        raise HTTPException(503, f"the units directory cannot be read: {exc}") from exc


@router.get("/api/dispatch/units")
async def get_units(dispatch: Dispatch, user: AgentUser) -> dict:
    """Units, places, rules and the default unit; the work-order webhook only for admins (URLs carry tokens)."""
    data = _directory(dispatch).model_dump(mode="json")
    if user.role is not Role.admin:
        data.pop("webhooks", None)
    return data


@router.put("/api/dispatch/units")
async def put_units(dispatch: Dispatch, redis: RedisDep, user: AdminUser, request: Request,
                    document: Annotated[dict, Body()],
                    note: Annotated[str, Query(max_length=200)] = "") -> dict:
    """Replace the directory (the whole document, as GET returns it to admins); validated against the
    taxonomy, written atomically, audited. A document without `webhooks` keeps the current ones."""
    before = _directory(dispatch)
    document = {"webhooks": before.webhooks.model_dump(mode="json"), **document}
    try:
        config = parse_units(document, default_taxonomy().category_names, "units")
    except UnitsError as exc:
        raise HTTPException(422, str(exc).removeprefix("units is invalid: ")) from exc
    try:
        save_units(config, dispatch.units_file)
    except OSError as exc:   # a read-only config dir (a container image): say so, change nothing
        raise HTTPException(503, f"cannot write the units directory: {exc.strerror or exc}") from exc
    after = dispatch.directory().model_dump(mode="json")
    await audit.record(redis, actor_of(user, request), "dispatch.units", "units",
                       before.model_dump(mode="json"), after, note)
    return after


class TryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(min_length=1, max_length=2000)
    line: str = Field(default="general", max_length=32)


@router.post("/api/dispatch/suggest")
async def try_rules(body: TryRequest, dispatch: Dispatch, _: SupervisorUser) -> dict:
    """Which unit these words would be suggested to (the admin page's 试算): unit, rule, category, place."""
    from hotline.dispatch.evaluate import route

    found, category = route(_directory(dispatch), body.text, body.line)
    return {**found.to_dict(), "category": category}


@router.post("/api/tickets/{ticket_id}/dispatch")
async def dispatch_ticket(ticket_id: str, body: DispatchRequest, dispatch: Dispatch, redis: RedisDep,
                          user: AgentOrSupervisor) -> dict:
    """派单: the ticket goes to `unit` (status dispatched, audited, POSTed to the work-order system)."""
    ticket = await _call(service.get_ticket(redis, ticket_id))
    supervisor = access.sees_everything(user)
    if not supervisor and not access.may_work_on(user, ticket):
        raise HTTPException(403, "not a ticket of a call your phone held")
    return await _call(dispatch.dispatch(ticket_id, body.unit, body.note, user.username, supervisor=supervisor))


@router.get("/api/dispatch/stats")
async def dispatch_stats(redis: RedisDep, _: SupervisorUser,
                         day: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None) -> dict:
    """One day's (default today) dispatches per line and agent: count, within 150 s, share, mean seconds."""
    return await stats.day_stats(redis, day)


