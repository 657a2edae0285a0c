"""Login that cannot be turned against users: the checks behind POST /api/auth/login and every token.

- Throttle per user + address, counted atomically *before* the password is checked (one Lua step), with
  exponential backoff instead of a lock-out: an attacker hammering from one address slows down only
  themselves; the real user elsewhere logs in as usual. A success clears the counter.
- Constant work: an unknown user costs the same PBKDF2 as a real one, so timing does not tell who exists.
- Sessions: the token key holds `username|fingerprint|signature`, the signature an HMAC (key outside
  Redis: HOTLINE_SESSION_KEY or state_dir/session.key) over id, user and a fingerprint of the user's
  password hash. Writing a key into Redis makes nobody an admin, and a password change ends every session.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from hotline.auth.users import PBKDF2_ITERATIONS, Directory, User, hash_password, verify_password
from hotline.core import keys

FAILS_KEY = keys.LOGIN_FAILS.pattern
FREE_ATTEMPTS = 5  # failures per user+address before backoff starts
BACKOFF_BASE, BACKOFF_CAP = 1.0, 300.0  # seconds: 1, 2, 4 … 300 between attempts
FAILS_TTL = 3600  # a quiet hour forgets the failures

# ARGV: free attempts, base, cap, ttl. Returns {1, delay} (go ahead; counted as a failure until it
# succeeds) or {0, seconds left} (still backing off: no password check at all). Redis' own clock: callers'
# clocks (and the order their requests arrive in) do not matter.
_ATTEMPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < wait then return {0, tostring(wait - now)} end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local delay = 0
if n >= tonumber(ARGV[1]) then delay = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ (n - tonumber(ARGV[1]))) end
redis.call('HSET', KEYS[1], 'until', tostring(now + delay))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {1, tostring(delay)}
"""


class LoginThrottled(Exception):
    def __init__(self, retry_after: float):
        super().__init__(f"too many failed logins, try again in {retry_after:.0f} s")
        self.retry_after = retry_after


class LoginRefused(Exception):
    """Wrong user name or password (deliberately not saying which)."""


def _fails_key(username: str, address: str | None) -> str:
    return FAILS_KEY.format(username=username[:64], address=(address or "-")[:64])


@lru_cache(maxsize=8)
def _dummy_hash(iterations: int) -> str:
    return hash_password(secrets.token_hex(16), iterations)


def _work_factor(directory: Directory) -> int:
    """Iterations an unknown user costs: the same as the users on file."""
    for user in directory.users:
        try:
            return int(user.password_hash.split("$")[1])
        except (IndexError, ValueError):
            continue
    return PBKDF2_ITERATIONS


def check_password(directory: Directory, username: str, password: str) -> User | None:
    """The user when the password is right; the same PBKDF2 work whether or not the user exists."""
    user = directory.get(username)
    encoded = user.password_hash if user else _dummy_hash(_work_factor(directory))
    ok = verify_password(password, encoded)
    return user if ok and user is not None and not user.disabled else None


async def authenticate(redis, directory: Directory, username: str, password: str, address: str | None) -> User:
    """Throttle, verify, reset: the login route's whole decision. Raises LoginThrottled or LoginRefused."""
    key = _fails_key(username, address)
    allowed, value = await redis.eval(_ATTEMPT, 1, key, FREE_ATTEMPTS, BACKOFF_BASE, BACKOFF_CAP, FAILS_TTL)
    if not int(allowed):
        raise LoginThrottled(float(value))
    # PBKDF2 costs ~0.2 s of CPU: off the event loop so calls and pops are not delayed
    user = await asyncio.to_thread(check_password, directory, username, password)
    if user is None:
        raise LoginRefused(username)
    await redis.delete(key)
    return user


# -- signed sessions -------------------------------------------------------------------------------------
def _key_file() -> Path:
    from hotline.core.config import Settings
    return Settings().state_dir / "session.key"


_key_cache: dict[str, bytes] = {}


def session_key() -> bytes:
    """HOTLINE_SESSION_KEY, else state_dir/session.key (created once, 0600): never in Redis."""
    if env := os.environ.get("HOTLINE_SESSION_KEY"):
        return env.encode()
    path = _key_file()
    if str(path) not in _key_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
        except FileExistsError:
            pass
        _key_cache[str(path)] = path.read_text().strip().encode()
    return _key_cache[str(path)]


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _signature(token: str, username: str, fingerprint: str) -> str:
    return hmac.new(session_key(), f"{token}|{username}|{fingerprint}".encode(), hashlib.sha256).hexdigest()


def new_session(user: User) -> tuple[str, str]:
    """(token for the browser, value to store under the token key)."""
    token = secrets.token_urlsafe(32)
    fingerprint = _fingerprint(user)
    return token, f"{user.username}|{fingerprint}|{_signature(token, user.username, fingerprint)}"


def session_user(directory: Directory, token: str, stored: str | None) -> User | None:
    """The user a stored session belongs to, if its signature holds and the password is unchanged."""
    username, _, rest = (stored or "").partition("|")
    fingerprint, _, signature = rest.partition("|")
    user = directory.get(username) if username and signature else None
    if user is None or user.disabled or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return user if hmac.compare_digest(signature, _signature(token, username, fingerprint)) else None
