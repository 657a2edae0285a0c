"""Login sessions and role rules: the users directory (users.yaml), Redis-backed bearer tokens, password checks.

Roles: admin passes every check; a supervisor passes agent-level *reads* (GET/HEAD, WebSockets);
an agent passes agent checks. Tokens are random, stored under keys.TOKEN -> username with a TTL.
The HTTP side (dependencies, the login router) is hotline.api.deps and hotline.auth.http.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

from hotline.auth.users import Directory, Role, User, load_directory, users_file, verify_password
from hotline.core import keys
from hotline.core.logging import log_event

log = logging.getLogger("hotline.auth")

MAX_FAILS = 10  # per username per FAIL_WINDOW; slows password guessing
FAIL_WINDOW = 300
HOME_BY_ROLE = {Role.agent: "/console", Role.supervisor: "/wallboard", Role.admin: "/wallboard"}
_READ_METHODS = {"GET", "HEAD", "WEBSOCKET"}
_cache: dict[Path, tuple[float, Directory]] = {}


class LoginRefused(Exception):
    """Wrong username or password."""


class TooManyAttempts(Exception):
    """Too many failed logins for this username recently."""


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


def allowed(user: User, roles: tuple[str, ...], method: str) -> bool:
    if user.role is Role.admin or user.role.value in roles:
        return True
    return user.role is Role.supervisor and "agent" in roles and method.upper() in _READ_METHODS


async def issue_token(redis, user: User, ttl: int) -> str:
    token = secrets.token_urlsafe(32)
    await redis.set(keys.TOKEN(token=token), user.username, ex=ttl)
    return token


async def revoke_token(redis, token: str | None) -> None:
    if token:
        await redis.delete(keys.TOKEN(token=token))


async def user_for_token(redis, token: str | None) -> User | None:
    if not token or len(token) > 128:
        return None
    username = await redis.get(keys.TOKEN(token=token))
    # the user must still exist in users.yaml: removing a user revokes their sessions
    return get_directory().get(username) if username else None


async def login(redis, username: str, password: str) -> tuple[User, str, int]:
    """Check the password; returns (user, token, ttl). Raises TooManyAttempts or LoginRefused."""
    fails_key = keys.LOGIN_FAILS(username=username)
    if int(await redis.get(fails_key) or 0) >= MAX_FAILS:
        raise TooManyAttempts(username)
    directory = get_directory()
    user = directory.get(username)
    # PBKDF2 costs ~0.1 s of CPU: off the event loop so calls and pops are not delayed
    ok = user is not None and await asyncio.to_thread(verify_password, password, user.password_hash)
    if not ok or user is None:
        await redis.incr(fails_key)
        await redis.expire(fails_key, FAIL_WINDOW)
        log_event(log, "login refused", username=username[:32])
        raise LoginRefused(username)
    await redis.delete(fails_key)
    token = await issue_token(redis, user, directory.token_ttl_seconds)
    log_event(log, "login", username=user.username, role=user.role.value)
    return user, token, directory.token_ttl_seconds
