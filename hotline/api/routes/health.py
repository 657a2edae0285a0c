"""GET /healthz: is the controller connected to Asterisk (AMI) and Redis? 503 when degraded."""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


async def _redis_ok(runtime) -> bool:
    # twice: after a Redis restart the first try may land on a pooled connection that died with it
    for _ in range(2):
        try:
            return bool(await asyncio.wait_for(runtime.redis.ping(), timeout=1.0))
        except Exception:  # any failure means "not connected" here; details are in the controller log
            continue
    return False


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    runtime = getattr(request.app.state, "runtime", None)
    ami_ok = bool(runtime is not None and runtime.ami.connected)
    redis_ok = runtime is not None and await _redis_ok(runtime)
    ok = ami_ok and redis_ok
    body = {"ami": {"connected": ami_ok}, "redis": {"connected": redis_ok}, "status": "ok" if ok else "degraded"}
    return JSONResponse(body, status_code=200 if ok else 503)
