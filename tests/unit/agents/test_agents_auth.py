import asyncio

import httpx
import pytest
from fastapi import Depends, FastAPI

from hotline.agents.http import router as agents_router
from hotline.api.deps import require_role
from hotline.auth import login_guard, service as auth
from hotline.auth.http import router
from hotline.auth.users import Directory, User, hash_password, verify_password
from hotline.web import mount_static

PASSWORDS = {"agent1": "pw-agent1", "agent2": "pw-agent2", "supervisor": "pw-sup", "admin": "pw-admin"}


def test_hash_is_salted_and_verifies():
    first, second = hash_password("secret", 1000), hash_password("secret", 1000)
    assert first != second  # random salt
    assert first.startswith("pbkdf2_sha256$1000$")
    assert verify_password("secret", first) and verify_password("secret", second)
    assert not verify_password("Secret", first)
    assert not verify_password("secret", "garbage") and not verify_password("secret", "md5$1$a$b")


def test_agent_needs_endpoint_and_names_are_unique():
    pw = hash_password("x", 10)
    with pytest.raises(ValueError, match="endpoint"):
        User(username="a", display_name="A", role="agent", password_hash=pw)
    with pytest.raises(ValueError, match="duplicate endpoint"):
        Directory(users=[User(username=n, display_name=n, role="agent", endpoint="agent1", password_hash=pw)
                         for n in ("a", "b")])
    with pytest.raises(ValueError, match="password_hash"):
        User(username="s", display_name="S", role="supervisor", password_hash="plain")


@pytest.mark.parametrize("role,roles,method,ok", [
    ("agent", ("agent",), "POST", True),
    ("agent", ("supervisor",), "GET", False),
    ("supervisor", ("agent",), "GET", True),        # supervisors read agent-level data
    ("supervisor", ("agent",), "WEBSOCKET", True),
    ("supervisor", ("agent",), "POST", False),      # ...but do not act as an agent
    ("admin", ("agent",), "POST", True),
    ("admin", ("supervisor",), "DELETE", True),
])
def test_role_rules(role, roles, method, ok):
    user = User(username="u", display_name="U", role=role, endpoint="agent9" if role == "agent" else None,
                password_hash=hash_password("x", 10))
    assert auth.allowed(user, roles, method) is ok


def _app(runtime):
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(router)
    app.include_router(agents_router)
    mount_static(app)

    @app.post("/agent-action")
    async def agent_action(user=Depends(require_role("agent"))):
        return {"who": user.username}

    @app.get("/supervisor-read")
    async def supervisor_read(user=Depends(require_role("supervisor"))):
        return {"who": user.username}
    return app


@pytest.fixture
async def client(runtime, users_yaml):
    transport = httpx.ASGITransport(app=_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def _login(client, username):
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORDS[username]})
    assert response.status_code == 200, response.text
    return response.json()


async def test_login_returns_token_user_and_home(client, unit_redis):
    data = await _login(client, "agent1")
    assert data["user"] == {"username": "agent1", "display_name": "坐席1", "role": "agent",
                            "endpoint": "agent1", "queues": ["general"]}
    assert data["home"] == "/console"
    assert (await unit_redis.get(f"hotline:token:{data['token']}")).startswith("agent1|")  # signed session
    assert 0 < await unit_redis.ttl(f"hotline:token:{data['token']}") <= data["expires_in"]
    assert (await _login(client, "supervisor"))["home"] == "/wallboard"


async def test_wrong_password_and_bad_input(client):
    bad = await client.post("/api/auth/login", json={"username": "agent1", "password": "nope"})
    assert bad.status_code == 401
    unknown = await client.post("/api/auth/login", json={"username": "ghost", "password": "x"})
    assert unknown.status_code == 401
    assert (await client.post("/api/auth/login", json={"username": ""})).status_code == 422
    assert (await client.post("/api/auth/login", content=b"{not json")).status_code == 422


async def test_repeated_failures_back_off_that_address(client):
    for _ in range(login_guard.FREE_ATTEMPTS):
        await client.post("/api/auth/login", json={"username": "agent2", "password": "nope"})
    slowed = await client.post("/api/auth/login", json={"username": "agent2", "password": PASSWORDS["agent2"]})
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) >= 1


async def test_bearer_roles(client):
    agent = {"Authorization": "Bearer " + (await _login(client, "agent1"))["token"]}
    sup = {"Authorization": "Bearer " + (await _login(client, "supervisor"))["token"]}
    admin = {"Authorization": "Bearer " + (await _login(client, "admin"))["token"]}
    assert (await client.post("/agent-action")).status_code == 401
    assert (await client.post("/agent-action", headers={"Authorization": "Bearer bogus"})).status_code == 401
    assert (await client.post("/agent-action", headers=agent)).json() == {"who": "agent1"}
    assert (await client.post("/agent-action", headers=sup)).status_code == 403
    assert (await client.post("/agent-action", headers=admin)).status_code == 200
    assert (await client.get("/supervisor-read", headers=agent)).status_code == 403
    assert (await client.get("/supervisor-read", headers=sup)).status_code == 200
    assert (await client.get("/api/auth/me", headers=sup)).json()["role"] == "supervisor"


async def test_logout_revokes_token(client):
    headers = {"Authorization": "Bearer " + (await _login(client, "agent1"))["token"]}
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_token_expires(client, unit_redis):
    user = auth.get_directory().get("agent1")
    token = await auth.issue_token(unit_redis, user, ttl=1)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    await asyncio.sleep(1.2)
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_pages_are_served(client):
    page = await client.get("/login")
    assert page.status_code == 200 and "hotline_token" not in page.text and "login.js" in page.text
    assert "hotline_token" in (await client.get("/static/login.js")).text
    assert (await client.get("/static/..%2Fauth.py")).status_code == 404


async def test_openapi_documents_the_websocket_messages(client):
    schema = (await client.get("/openapi.json")).json()
    assert "AgentMessage" in schema["components"]["schemas"]
    assert "/ws/agent" in schema["paths"]["/api/agents/events/schema"]["get"]["description"]
    events = (await client.get("/api/agents/events/schema")).json()
    assert set(events["agent_message"]["properties"]["type"]["enum"]) >= {"pop", "update", "ringing", "ended"}
