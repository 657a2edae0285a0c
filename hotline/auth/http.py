"""Login router: sign in and out, who am I, and the login page."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from hotline.api.deps import AgentOrSupervisor, BearerToken, RedisDep, RuntimeDep
from hotline.auth import service
from hotline.core.logging import log_event
from hotline.web import page

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    token: str
    user: dict
    expires_in: int
    home: str


@router.post("/api/auth/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, runtime: RuntimeDep) -> LoginResponse:
    address = request.client.host if request.client else None
    try:
        user, token, ttl = await service.login(runtime.redis, body.username, body.password, address)
    except service.LoginThrottled as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc),
                            headers={"Retry-After": str(max(1, round(exc.retry_after)))}) from None
    except service.LoginRefused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "用户名或密码错误 (wrong username or password)") from None
    return LoginResponse(token=token, user=user.public(runtime.lines), expires_in=ttl,
                         home=service.HOME_BY_ROLE[user.role])


@router.post("/api/auth/logout", status_code=204)
async def logout(redis: RedisDep, user: AgentOrSupervisor, token: BearerToken) -> None:
    await service.revoke_token(redis, token)
    log_event(service.log, "logout", username=user.username)


@router.get("/api/auth/me")
async def me(runtime: RuntimeDep, user: AgentOrSupervisor) -> dict:
    return user.public(runtime.lines)


@router.get("/login", include_in_schema=False)
async def login_page() -> FileResponse:
    return page("login.html")
