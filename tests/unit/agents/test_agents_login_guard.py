"""Login that cannot be used against users (issue 10 item 6): an atomic per user+address counter with
backoff, constant work for unknown users, sessions signed outside Redis and ended by a password change."""
import asyncio
import hashlib

import httpx
import pytest
from fastapi import FastAPI

from hotline.auth import login_guard, service as auth
from hotline.auth.http import router

from agents_users import PASSWORDS, write_users


def app_for(runtime):
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(router)
    return app


def client_from(runtime, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app_for(runtime), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def login(client, username, password):
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def test_parallel_wrong_passwords_are_counted_before_the_check(runtime, users_yaml):
    """Issue 10: 60 parallel wrong passwords all got a real check (401): the limit was read, not counted."""
    async with client_from(runtime, "10.0.0.66") as attacker:
        replies = await asyncio.gather(*(login(attacker, "agent1", f"guess{n}") for n in range(60)))
    codes = [r.status_code for r in replies]
    assert codes.count(401) == login_guard.FREE_ATTEMPTS and codes.count(429) == 60 - login_guard.FREE_ATTEMPTS


async def test_the_real_user_logs_in_while_an_attacker_hammers(runtime, users_yaml):
    """Issue 10: after 10 failures anyone's right password got 429 — anyone could lock anyone out."""
    async with client_from(runtime, "10.0.0.66") as attacker, client_from(runtime, "10.0.0.7") as agent:
        hammering = asyncio.gather(*(login(attacker, "agent1", f"guess{n}") for n in range(30)))
        real = await login(agent, "agent1", PASSWORDS["agent1"])
        await hammering
        assert real.status_code == 200
        assert (await login(agent, "agent1", PASSWORDS["agent1"])).status_code == 200
        assert (await login(attacker, "agent1", PASSWORDS["agent1"])).status_code == 429  # that address waits


async def test_backoff_grows_then_a_right_password_resets_it(runtime, users_yaml, monkeypatch):
    monkeypatch.setattr(login_guard, "BACKOFF_BASE", 0.2)
    async with client_from(runtime, "10.0.0.8") as client:
        for _ in range(login_guard.FREE_ATTEMPTS):
            assert (await login(client, "agent2", "nope")).status_code == 401
        assert (await login(client, "agent2", PASSWORDS["agent2"])).status_code == 429  # backing off 0.2 s
        await asyncio.sleep(0.25)
        assert (await login(client, "agent2", "nope")).status_code == 401  # allowed again, now 0.4 s
        await asyncio.sleep(0.25)
        assert (await login(client, "agent2", PASSWORDS["agent2"])).status_code == 429
        await asyncio.sleep(0.2)
        assert (await login(client, "agent2", PASSWORDS["agent2"])).status_code == 200
        assert (await login(client, "agent2", "nope")).status_code == 401  # counter was reset by the success


async def test_unknown_users_cost_the_same_pbkdf2_work(runtime, users_yaml, monkeypatch):
    """Issue 10: a wrong password took 241 ms for a real user and 5 ms for an unknown one."""
    work = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda name, pw, salt, n: work.append(n) or real(name, pw, salt, n))
    login_guard._dummy_hash(1000)  # built once per process, like the users' own hashes are built once
    async with client_from(runtime, "10.0.0.9") as client:
        for username in ("agent1", "nobody", "agent1"):
            work.clear()
            assert (await login(client, username, "wrong")).status_code == 401
            assert work == [1000], username
        work.clear()
        assert (await login(client, "agent1", PASSWORDS["agent1"])).status_code == 200 and work == [1000]


async def test_a_key_written_into_redis_makes_nobody_an_admin(runtime, users_yaml, unit_redis):
    redis = unit_redis
    admin = auth.get_directory().get("admin")
    real = await auth.issue_token(redis, admin, 600)
    assert (await auth.user_for_token(redis, real)).username == "admin"
    await redis.set("hotline:token:forged", "admin")  # the old format: a bare user name
    await redis.set("hotline:token:copied", await redis.get(f"hotline:token:{real}"))  # a valid value, other id
    stored = await redis.get(f"hotline:token:{real}")
    await redis.set("hotline:token:guessed", stored.rsplit("|", 1)[0] + "|" + "0" * 64)
    for token in ("forged", "copied", "guessed"):
        assert await auth.user_for_token(redis, token) is None, token
    async with client_from(runtime, "127.0.0.1") as client:
        me = await client.get("/api/auth/me", headers={"Authorization": "Bearer forged"})
        assert me.status_code == 401


async def test_changing_a_password_ends_that_users_sessions(runtime, users_yaml, unit_redis):
    agent1 = await auth.issue_token(unit_redis, auth.get_directory().get("agent1"), 600)
    agent2 = await auth.issue_token(unit_redis, auth.get_directory().get("agent2"), 600)
    from typer.testing import CliRunner

    from hotline.auth.cli import app as users_cli
    result = CliRunner().invoke(users_cli, ["set-password", "agent1", "--file", str(users_yaml)],
                                input="a-new-password\na-new-password\n")
    assert result.exit_code == 0, result.output
    assert await auth.user_for_token(unit_redis, agent1) is None
    assert (await auth.user_for_token(unit_redis, agent2)).username == "agent2"


def test_session_key_lives_outside_redis_and_is_private(tmp_path, monkeypatch):
    monkeypatch.delenv("HOTLINE_SESSION_KEY", raising=False)
    monkeypatch.setattr(login_guard, "_key_file", lambda: tmp_path / "state" / "session.key")
    key = login_guard.session_key()
    assert len(key) == 64 and (tmp_path / "state" / "session.key").stat().st_mode & 0o077 == 0
    assert login_guard.session_key() == key


@pytest.fixture
def users_yaml(tmp_path, monkeypatch):
    path = write_users(tmp_path / "users.yaml")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return path
