"""Voice menu API (the /admin menu editor uses nothing else): read for supervisors and admins, validate,
publish and roll back for admins (audited). Bodies are menu documents as config/menus.yaml, in JSON."""
from __future__ import annotations

import typing

from fastapi import APIRouter, HTTPException, Query, Request

from hotline.admin import menus as service
from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, RedisDep, RuntimeDep, SupervisorUser
from hotline.core.config import get_settings
from ivr.menus.checks import loads_json
from ivr.menus.schema import Action
from ivr.menus.store import MAX_MENU_BYTES, MenuError, MenuStore

router = APIRouter(tags=["menus"])
MENU_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": f"menu tree, as config/menus.yaml (at most {MAX_MENU_BYTES // 1024} KiB)"}}}}}


def _settings(runtime):
    return runtime.settings or get_settings()


async def _menu_body(request: Request) -> dict:
    """The JSON body, read up to MAX_MENU_BYTES (413 beyond: never parsed), as a dict (422 otherwise). A key
    written twice is kept as such, so validation can say so instead of keeping the last one."""
    if int(request.headers.get("content-length") or 0) > MAX_MENU_BYTES:
        raise HTTPException(413, f"menu is larger than {MAX_MENU_BYTES // 1024} KiB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MENU_BYTES:
            raise HTTPException(413, f"menu is larger than {MAX_MENU_BYTES // 1024} KiB")
    try:
        document = loads_json(bytes(body))
    except (ValueError, RecursionError) as exc:
        raise HTTPException(422, f"menu is not JSON: {str(exc)[:120]}") from exc
    if not isinstance(document, dict):
        raise HTTPException(422, "menu must be a JSON object with 'start' and 'menus'")
    return document


@router.get("/api/menus/active")
async def active_menu(redis: RedisDep, _: SupervisorUser) -> dict:
    try:
        version, tree = await MenuStore(redis).active()
    except MenuError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"version": version, "menu": tree.model_dump(mode="json")}


@router.get("/api/menus/versions")
async def menu_versions(redis: RedisDep, _: SupervisorUser) -> dict:
    """Every version (number, author, created_at, note), the active one and the publish/rollback history."""
    return await service.versions(redis)


@router.get("/api/menus/versions/{version}")
async def menu_version(version: int, redis: RedisDep, _: SupervisorUser) -> dict:
    try:
        return {"version": version, "menu": (await MenuStore(redis).get(version)).model_dump(mode="json")}
    except MenuError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/api/menus/catalogue")
async def menu_catalogue(runtime: RuntimeDep, _: SupervisorUser) -> dict:
    """What a menu may name: lines (name, label), prompts (name, text if any) and action types with their fields
    (JSON schema), so an editor shows actions added later without knowing them."""
    settings = _settings(runtime)
    texts = service.prompt_texts(settings)
    union = typing.get_args(typing.get_args(Action)[0])
    actions = {model.model_fields["action"].annotation.__args__[0]: model.model_json_schema() for model in union}
    return {"lines": [{"name": n, "label": label} for n, label in runtime.lines.labels().items()],
            "prompts": [{"name": n, "text": texts.get(n, "")} for n in sorted(service.known_prompts(settings))],
            "actions": actions}


@router.post("/api/menus/validate", openapi_extra=MENU_BODY)
async def validate_menu(request: Request, runtime: RuntimeDep, _: SupervisorUser) -> dict:
    """Errors and warnings, each with its path (`menus.main.keys.2.queue`) and a Chinese message, from the
    schema the CLI uses; when valid also `preview` (what a caller hears), `changes` (in words) and `diff`
    against the active version. Changes nothing."""
    return await service.review(runtime.redis, await _menu_body(request), runtime.lines, _settings(runtime))


@router.post("/api/menus", status_code=201, openapi_extra=MENU_BODY)
async def publish_menu(request: Request, runtime: RuntimeDep, user: AdminUser,
                       note: str = Query("", max_length=200)) -> dict:
    """Validate and publish a new menu version; it applies to the next call, without restart. Audited.
    422 with every problem ({loc, msg}) when the menu is invalid or names a line or prompt that does not exist."""
    document = await _menu_body(request)
    try:
        version = await service.publish(runtime.redis, document, actor_of(user, request), runtime.lines,
                                        _settings(runtime), note)
    except service.MenuRefused as exc:
        raise HTTPException(422, exc.details) from exc
    except MenuError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"version": version}


@router.post("/api/menus/{version}/activate")
async def activate_menu(version: int, request: Request, redis: RedisDep, user: AdminUser,
                        note: str = Query("", max_length=200)) -> dict:
    """Roll back (or forward) to an existing version; applies to the next call. Audited."""
    try:
        await service.rollback(redis, version, actor_of(user, request), note)
    except MenuError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"active": version}
