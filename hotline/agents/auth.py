"""Login, Redis-backed bearer tokens and the role checks every HTTP route / WebSocket uses.

Roles: admin passes every check; a supervisor passes agent-level *reads* (GET/HEAD, WebSockets);
an agent passes agent checks. Tokens are random, stored as `hotline:token:{token}` -> a signed session
(hotline.agents.login_guard: HMAC with a key outside Redis, void once the user's password changes) with a TTL.
"""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, status
from pydantic import BaseModel, Field

from hotline.agents import login_guard
from hotline.agents.users import Directory, Role, User, load_directory, users_file
from hotline.core.logging import log_event

log = logging.getLogger("hotline.agents.auth")
router = APIRouter(tags=["auth"])

TOKEN_KEY = "hotline:token:{token}"
HOME_BY_ROLE = {Role.agent: "/console", Role.supervisor: "/wallboard", Role.admin: "/wallboard"}
_READ_METHODS = {"GET", "HEAD", "WEBSOCKET"}
_cache: dict[Path, tuple[float, Directory]] = {}


def get_directory(path: Path | None = None) -> Directory:
    """users.yaml, re-read when the file changes (a new password applies without a restart)."""
    path = path or users_file()
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    directory = load_directory(path)
    _cache[path] = (mtime, directory)
    return directory


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    token: str
    user: dict
    expires_in: int
    home: str


def allowed(user: User, roles: tuple[str, ...], method: str) -> bool:
    if user.role is Role.admin or user.role.value in roles:
        return True
    return user.role is Role.supervisor and "agent" in roles and method.upper() in _READ_METHODS


async def issue_token(redis, user: User, ttl: int) -> str:
    token, session = login_guard.new_session(user)
    await redis.set(TOKEN_KEY.format(token=token), session, ex=ttl)
    return token


async def user_for_token(redis, token: str | None) -> User | None:
    if not token or len(token) > 128:
        return None
    stored = await redis.get(TOKEN_KEY.format(token=token))
    # signed, the user still in users.yaml, the password unchanged: otherwise the session is over
    return login_guard.session_user(get_directory(), token, stored) if stored else None


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def require_role(*roles: str):
    """FastAPI dependency: `user: User = Depends(require_role("agent"))`."""
    async def dependency(request: Request) -> User:
        user = await user_for_token(request.app.state.runtime.redis, _bearer(request))
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in or session expired",
                                headers={"WWW-Authenticate": "Bearer"})
        if not allowed(user, roles, request.method):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {' or '.join(roles)}")
        return user
    return dependency


async def ws_user(websocket: WebSocket, *roles: str) -> User | None:
    """Authenticate a WebSocket by `?token=`. Accepts the socket (do not accept it again); when refused,
    closes it with 4401 (log in again) / 4403 so the browser can tell that from a network drop, and returns None."""
    await websocket.accept()
    user = await user_for_token(websocket.app.state.runtime.redis, websocket.query_params.get("token"))
    if user is None:
        await websocket.close(code=4401, reason="not logged in")
        return None
    if not allowed(user, roles, "WEBSOCKET"):
        await websocket.close(code=4403, reason="forbidden")
        return None
    return user


@router.post("/api/auth/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request) -> LoginResponse:
    redis = request.app.state.runtime.redis
    directory = get_directory()
    address = request.client.host if request.client else None
    try:
        user = await login_guard.authenticate(redis, directory, body.username, body.password, address)
    except login_guard.LoginThrottled as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc),
                            headers={"Retry-After": str(max(1, round(exc.retry_after)))}) from exc
    except login_guard.LoginRefused as exc:
        log_event(log, "login refused", username=body.username[:32])
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "用户名或密码错误 (wrong username or password)") from exc
    token = await issue_token(redis, user, directory.token_ttl_seconds)
    log_event(log, "login", username=user.username, role=user.role.value)
    return LoginResponse(token=token, user=user.public(), expires_in=directory.token_ttl_seconds,
                         home=HOME_BY_ROLE[user.role])


@router.post("/api/auth/logout", status_code=204)
async def logout(request: Request, user: User = Depends(require_role("agent", "supervisor"))) -> None:
    await request.app.state.runtime.redis.delete(TOKEN_KEY.format(token=_bearer(request)))
    log_event(log, "logout", username=user.username)


@router.get("/api/auth/me")
async def me(user: User = Depends(require_role("agent", "supervisor"))) -> dict:
    return user.public()
