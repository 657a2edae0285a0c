"""Shared FastAPI dependencies: the runtime's connections and features, the current user and role checks.

Every router takes who-may-do-what from here (`user: AgentUser`, `_: SupervisorUser`, ...); no feature imports
another feature's auth code.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, WebSocket, status

from hotline.auth.service import allowed, user_for_token
from hotline.auth.users import User


def get_runtime(request: Request) -> Any:
    return request.app.state.runtime


def get_redis(request: Request) -> Any:
    return request.app.state.runtime.redis


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def require_role(*roles: str):
    """Dependency factory: the logged-in user, if their role may use this route (403 otherwise, 401 if none)."""
    async def dependency(request: Request) -> User:
        user = await user_for_token(request.app.state.runtime.redis, bearer_token(request))
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in or session expired",
                                headers={"WWW-Authenticate": "Bearer"})
        if not allowed(user, roles, request.method):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role {' or '.join(roles)}")
        return user
    return dependency


def feature(name: str):
    """Dependency factory: one of the runtime's features (hotline.runtime.Features), 503 when not running."""
    def dependency(request: Request) -> Any:
        found = getattr(request.app.state.runtime.features, name, None)
        if found is None:
            raise HTTPException(503, f"{name} is not running")
        return found
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


RuntimeDep = Annotated[Any, Depends(get_runtime)]
RedisDep = Annotated[Any, Depends(get_redis)]
BearerToken = Annotated[str | None, Depends(bearer_token)]
AgentUser = Annotated[User, Depends(require_role("agent"))]            # agents; supervisors read; admins
AgentOrSupervisor = Annotated[User, Depends(require_role("agent", "supervisor"))]
SupervisorUser = Annotated[User, Depends(require_role("supervisor"))]  # supervisors and admins
AdminUser = Annotated[User, Depends(require_role("admin"))]
