"""HTTP side of the call flow (ivr/): the call journal (agents, supervisors). Menus: hotline/admin/menus_http.py."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from hotline.api.deps import AgentOrSupervisor, RedisDep
from hotline.auth.users import Role, User
from hotline.core.logging import mask_number
from ivr.journal import Journal

router = APIRouter(tags=["calls"])


def _as_seen_by(user: User, call: dict) -> dict:
    """Full caller numbers for supervisors and admins, and for an agent on the calls their phone answered;
    masked otherwise (an agent browsing the call list sees no one else's callers)."""
    if user.role is not Role.agent or (user.endpoint and call.get("agent") == user.endpoint):
        return call
    return {**call, "caller": mask_number(call.get("caller"))}


@router.get("/api/calls")
async def list_calls(redis: RedisDep, user: AgentOrSupervisor, limit: int = Query(50, ge=1, le=500),
                     before: float | None = None) -> list[dict]:
    """Most recent calls first (summaries); page with `before` = the last `started_at` seen."""
    return [_as_seen_by(user, call) for call in await Journal(redis).recent(limit, before)]


@router.get("/api/calls/{call_id}")
async def get_call(call_id: str, redis: RedisDep, user: AgentOrSupervisor) -> dict:
    """The call's summary and timeline (arrival, answer, keys, route, recording, queue, agent, hang-up)."""
    call = await Journal(redis).get(call_id)
    if call is None:
        raise HTTPException(404, f"no call {call_id!r}")
    return _as_seen_by(user, call)
