"""HTTP side of the call flow (ivr/): call journal (agents, supervisors) and menu administration (admins)."""
from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Query, Request

from hotline.api.deps import AdminUser, AgentOrSupervisor, RedisDep, RuntimeDep, SupervisorUser
from hotline.auth.users import Role, User
from hotline.core.logging import mask_number
from ivr import prompts
from ivr.journal import Journal
from ivr.menus.store import MAX_MENU_BYTES, MenuError, MenuStore, parse_menu

router = APIRouter(tags=["calls", "menus"])


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


@router.get("/api/menus/active")
async def active_menu(redis: RedisDep, _: SupervisorUser) -> dict:
    try:
        version, tree = await MenuStore(redis).active()
    except MenuError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"version": version, "menu": tree.model_dump(mode="json")}


@router.get("/api/menus/versions")
async def menu_versions(redis: RedisDep, _: SupervisorUser) -> dict:
    store = MenuStore(redis)
    return {"active": await store.active_version(), "versions": await store.versions(),
            "history": await store.history()}


async def _menu_body(request: Request) -> dict:
    """The JSON body, read up to MAX_MENU_BYTES (413 beyond: never parsed), as a dict (422 otherwise)."""
    if int(request.headers.get("content-length") or 0) > MAX_MENU_BYTES:
        raise HTTPException(413, f"menu is larger than {MAX_MENU_BYTES // 1024} KiB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MENU_BYTES:
            raise HTTPException(413, f"menu is larger than {MAX_MENU_BYTES // 1024} KiB")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HTTPException(422, f"menu is not JSON: {str(exc)[:120]}") from exc
    if not isinstance(document, dict):
        raise HTTPException(422, "menu must be a JSON object with 'start' and 'menus'")
    return document


MENU_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": f"menu tree, as config/menus.yaml (at most {MAX_MENU_BYTES // 1024} KiB)"}}}}}


@router.post("/api/menus", status_code=201, openapi_extra=MENU_BODY)
async def publish_menu(request: Request, runtime: RuntimeDep, user: AdminUser,
                       note: str = Query("", max_length=200)) -> dict:
    """Validate and publish a new menu version; it applies to the next call, without restart."""
    document = await _menu_body(request)
    try:
        tree = parse_menu(document, known_queues=set(runtime.lines.names), known_partners=set(runtime.lines.partner_names),
                          known_prompts=prompts.available(runtime.settings))
    except MenuError as exc:
        raise HTTPException(422, str(exc)) from exc
    version = await MenuStore(runtime.redis).publish(tree, author=user.username, note=note)
    return {"version": version}


@router.post("/api/menus/{version}/activate")
async def activate_menu(version: int, redis: RedisDep, user: AdminUser) -> dict:
    """Roll back (or forward) to an existing version."""
    try:
        await MenuStore(redis).rollback(version, author=user.username)
    except MenuError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"active": version}
