"""Login sessions and role rules: the users directory (users.yaml), Redis-backed bearer tokens, password checks.

Roles: admin passes every check; a supervisor passes agent-level *reads* (GET/HEAD, WebSockets);
an agent passes agent checks. Tokens are random, stored under keys.TOKEN -> a signed session
(hotline.auth.login_guard: HMAC with a key outside Redis, void once the user's password changes) with a TTL.
The HTTP side (dependencies, the login router) is hotline.api.deps and hotline.auth.http.
"""
from __future__ import annotations

import logging
from pathlib import Path

from hotline.auth import login_guard
from hotline.auth.login_guard import LoginRefused, LoginThrottled
from hotline.auth.users import Directory, Role, User, load_directory, users_file
from hotline.core import keys
from hotline.core.logging import log_event

log = logging.getLogger("hotline.auth")

HOME_BY_ROLE = {Role.agent: "/console", Role.supervisor: "/wallboard", Role.admin: "/admin"}
_READ_METHODS = {"GET", "HEAD", "WEBSOCKET"}
_cache: dict[Path, tuple[float, Directory]] = {}


__all__ = ["LoginRefused", "LoginThrottled", "allowed", "get_directory", "issue_token", "login", "revoke_token",
           "user_for_token"]


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


def forget_directory() -> None:
    """Drop the cached users.yaml (the admin service calls it right after rewriting the file)."""
    _cache.clear()


def allowed(user: User, roles: tuple[str, ...], method: str) -> bool:
    if user.role is Role.admin or user.role.value in roles:
        return True
    return user.role is Role.supervisor and "agent" in roles and method.upper() in _READ_METHODS


async def issue_token(redis, user: User, ttl: int) -> str:
    token, session = login_guard.new_session(user)
    await redis.set(keys.TOKEN(token=token), session, ex=ttl)
    return token


async def revoke_token(redis, token: str | None) -> None:
    if token:
        await redis.delete(keys.TOKEN(token=token))


async def user_for_token(redis, token: str | None) -> User | None:
    if not token or len(token) > 128:
        return None
    stored = await redis.get(keys.TOKEN(token=token))
    # signed, the user still in users.yaml, the password unchanged: otherwise the session is over
    return login_guard.session_user(get_directory(), token, stored) if stored else None


async def login(redis, username: str, password: str, address: str | None) -> tuple[User, str, int]:
    """Check the password; returns (user, token, ttl). Raises LoginThrottled (backing off) or LoginRefused."""
    directory = get_directory()
    try:
        user = await login_guard.authenticate(redis, directory, username, password, address)
    except LoginRefused:
        log_event(log, "login refused", username=username[:32])
        raise
    token = await issue_token(redis, user, directory.token_ttl_seconds)
    log_event(log, "login", username=user.username, role=user.role.value)
    return user, token, directory.token_ttl_seconds
