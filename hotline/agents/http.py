"""HTTP surface of the agents feature: auth, agent state actions, the screen-pop WebSocket and the pages."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from hotline.agents import auth
from hotline.agents.auth import get_directory, require_role, ws_user
from hotline.agents.events import AgentMessage, PauseRequest, WebhookEvent
from hotline.agents.membership import MembershipError
from hotline.agents.notifier import Connection, ConnectionDropped
from hotline.agents.service import feature_of
from hotline.agents.users import Role, User

STATIC_DIR = Path(__file__).parent / "static"
_MEDIA = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}
WS_DOC = ("WebSocket `/ws/agent?token=<token>[&last_id=<stream id>][&agent=agentN for supervisors]` sends "
          "JSON `AgentMessage` objects (schema: GET /api/agents/events/schema, docs/agent-events.md).")

router = APIRouter()
router.include_router(auth.router)
api = APIRouter(prefix="/api/agents", tags=["agents"])


def _feature(request: Request):
    return feature_of(request.app.state.runtime)


def _phone(user: User) -> User:
    if not user.endpoint:
        raise HTTPException(400, "this user has no phone endpoint (agents only)")
    return user


async def _act(action) -> dict:
    try:
        return await action
    except MembershipError as exc:
        raise HTTPException(502, str(exc)) from exc


@api.get("/me", summary="The logged-in agent and their queue membership as Asterisk reports it")
async def me(request: Request, user: User = Depends(require_role("agent"))) -> dict:
    state = _feature(request).membership.state(user) if user.endpoint else None
    return {"user": user.public(request.app.state.runtime.lines), "state": state}


@api.post("/me/login", summary="Join the agent's queues (QueueAdd; static members are un-paused)")
async def queue_login(request: Request, user: User = Depends(require_role("agent"))) -> dict:
    return await _act(_feature(request).membership.login(_phone(user)))


@api.post("/me/logout", summary="Leave the queues (QueueRemove; static members are paused with reason 签出)")
async def queue_logout(request: Request, user: User = Depends(require_role("agent"))) -> dict:
    return await _act(_feature(request).membership.logout(_phone(user)))


@api.post("/me/pause", summary="Pause in every queue (QueuePause Paused=true Reason=...)")
async def pause(body: PauseRequest, request: Request, user: User = Depends(require_role("agent"))) -> dict:
    return await _act(_feature(request).membership.pause(_phone(user), True, body.reason.strip()))


@api.post("/me/resume", summary="Resume taking calls (QueuePause Paused=false)")
async def resume(request: Request, user: User = Depends(require_role("agent"))) -> dict:
    return await _act(_feature(request).membership.pause(_phone(user), False))


@api.get("/me/messages", response_model=list[AgentMessage], description=WS_DOC,
         summary="Replay of the agent's screen-pop stream after last_id (what the WebSocket replays)")
async def messages(request: Request, last_id: str | None = None, user: User = Depends(require_role("agent"))):
    return await _feature(request).notifier.replay(_phone(user).endpoint, last_id)


@api.get("", summary="Every agent with membership and console connection (supervisor view)")
async def all_agents(request: Request, user: User = Depends(require_role("supervisor"))) -> list[dict]:
    feature = _feature(request)
    online = set(feature.notifier.connected_agents())
    return [{"user": a.public(feature.lines), "state": feature.membership.state(a),
             "console_connected": a.endpoint in online}
            for a in get_directory().agents()]


@api.get("/form-options", summary="Choices of the ticket form: categories, 诉求类型, urgency levels")
async def form_options(user: User = Depends(require_role("agent"))) -> dict:
    from hotline.tickets.taxonomy import default_taxonomy
    tax = default_taxonomy()
    urgency = [{"value": tax.urgency.default, "label": "一般"}]
    urgency += [{"value": level.name, "label": level.label} for level in tax.urgency.levels]
    return {"categories": tax.category_names, "request_types": tax.request_type_names, "urgency": urgency}


@api.get("/events/schema", description=WS_DOC, summary="JSON schemas of WebSocket messages and webhook bodies")
async def events_schema() -> dict:
    return {"websocket": "/ws/agent", "agent_message": AgentMessage.model_json_schema(),
            "webhook_event": WebhookEvent.model_json_schema()}


router.include_router(api)


def _watched_agent(websocket: WebSocket, user: User) -> User | None:
    """Agents get their own pops only; supervisors/admins may watch one agent with ?agent=agentN."""
    if user.role is Role.agent:
        return user
    wanted = websocket.query_params.get("agent")
    return get_directory().by_endpoint(wanted) if wanted else None


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    user = await ws_user(websocket, "agent")
    if user is None:
        return
    agent = _watched_agent(websocket, user)
    if agent is None:
        await websocket.close(code=4400, reason="supervisors must name ?agent=agentN")
        return
    feature = feature_of(websocket.app.state.runtime)
    conn = Connection(agent.endpoint, websocket.send_text)
    hello = {"type": "hello", "user": user.public(feature.lines), "agent": agent.endpoint,
             "state": feature.membership.state(agent)}
    sender = asyncio.create_task(feature.notifier.attach(conn, websocket.query_params.get("last_id"), hello))
    reader = asyncio.create_task(_read_pings(websocket, conn))
    done, _ = await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    for task in (sender, reader):
        task.cancel()
    await asyncio.gather(sender, reader, return_exceptions=True)
    if sender in done and isinstance(sender.exception(), ConnectionDropped):
        await websocket.close(code=4408, reason="too slow, reconnect with last_id")


async def _read_pings(websocket: WebSocket, conn: Connection) -> None:
    """The browser only pings; reading also tells us when it goes away. Pongs go through the send queue."""
    try:
        while True:
            if await websocket.receive_text() == '{"type":"ping"}':
                conn.offer({"type": "pong"})
    except WebSocketDisconnect:
        return


def _static(name: str) -> FileResponse:
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or path.suffix not in _MEDIA or not path.is_file():
        raise HTTPException(404, "not found")
    return FileResponse(path, media_type=_MEDIA[path.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/login", include_in_schema=False)
async def login_page() -> FileResponse:
    return _static("login.html")


@router.get("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    return _static("console.html")


@router.get("/agents/static/{name}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    return _static(name)
