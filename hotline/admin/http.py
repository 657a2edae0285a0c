"""The /admin page and the audit API. Writes live in each admin feature's router (role admin, audited);
supervisors may view everything read-only."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse

from hotline.admin import audit
from hotline.api.deps import RedisDep, SupervisorUser
from hotline.auth.users import User
from hotline.web import page

router = APIRouter(tags=["admin"])


def actor_of(user: User, request: Request) -> audit.Actor:
    """The audit actor of an HTTP request: the logged-in user and the client's address."""
    return audit.Actor(user.username, user.role.value, request.client.host if request.client else "unknown")


@router.get("/admin", include_in_schema=False)
async def admin_page() -> FileResponse:
    return page("admin.html")


@router.get("/api/audit")
async def list_audit(redis: RedisDep, _: SupervisorUser,
                     actor: Annotated[str | None, Query(max_length=64)] = None,
                     action: Annotated[str | None, Query(max_length=64)] = None,
                     target: Annotated[str | None, Query(max_length=128)] = None,
                     since: Annotated[float | None, Query(ge=0)] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    """Admin changes, newest first: who, role, from where, action, target, note, readable diff, before/after."""
    return {"entries": await audit.entries(redis, actor=actor, action=action, target=target, since=since,
                                           limit=limit)}
