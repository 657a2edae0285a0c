"""Overflow rules and staffing targets API (the /admin rules editor uses nothing else): supervisors and admins
read and validate, admins save (applied to the running controller at once, audited)."""
from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from hotline.admin import rules as service
from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, RedisDep, SupervisorUser, feature
from hotline.supervision import rules_store
from hotline.supervision.service import METRIC_LABELS, SupervisionService

router = APIRouter(tags=["rules"])
Supervision = Annotated[SupervisionService, Depends(feature("supervision"))]
MAX_RULES_BYTES = 64 * 1024   # the shipped rules are ~3 KB as JSON
RULES_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "staffing, default_rules and queues, as in config/overflow.yaml "
                                     f"(at most {MAX_RULES_BYTES // 1024} KiB)"}}}}}


async def _rules_body(request: Request) -> Any:
    """The JSON body, read up to MAX_RULES_BYTES (413 beyond: never parsed)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_RULES_BYTES:
            raise HTTPException(413, f"rules are larger than {MAX_RULES_BYTES // 1024} KiB")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HTTPException(422, f"rules are not JSON: {str(exc)[:120]}") from exc


@router.get("/api/rules")
async def get_rules(supervision: Supervision, redis: RedisDep, _: SupervisorUser) -> dict:
    """The rules and targets the running controller uses now, the stored version (author, time, note; None while
    the file's are used), the lines and the metrics with their Chinese names."""
    stored = await rules_store.load(redis)
    return {"rules": rules_store.editable(supervision.config), "version": supervision.rules_version,
            "stored": {k: v for k, v in stored.items() if k != "rules"} if stored else None,
            "lines": supervision.labels, "metrics": METRIC_LABELS}


@router.post("/api/rules/validate", openapi_extra=RULES_BODY)
async def validate_rules(request: Request, supervision: Supervision, _: SupervisorUser) -> dict:
    """Every problem with its path (`queues.general.rules.0.warning.clear`), from the overflow.yaml schema."""
    errors = service.check(supervision, await _rules_body(request))
    return {"valid": not errors, "errors": errors}


@router.put("/api/rules", openapi_extra=RULES_BODY)
async def put_rules(request: Request, supervision: Supervision, redis: RedisDep, user: AdminUser,
                    note: str = Query("", max_length=200)) -> dict:
    """Save and apply at once (no restart); 422 with every problem ({loc, msg}) when invalid. Audited."""
    document = await _rules_body(request)
    try:
        version = await service.save(redis, supervision, document, actor_of(user, request), note)
    except rules_store.RulesInvalid as exc:
        raise HTTPException(422, [{"loc": e["loc"], "msg": e["message"]} for e in exc.errors]) from exc
    return {"version": version}
