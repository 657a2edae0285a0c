"""HTTP surface of the agents feature: agent state actions, the screen-pop WebSocket and the console page."""
from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from hotline.agents.events import AgentMessage, PauseRequest, WebhookEvent
from hotline.agents.membership import MembershipError
from hotline.agents.notifier import Connection, ConnectionDropped
from hotline.agents.service import AgentsFeature
from hotline.api.deps import AgentUser, SupervisorUser, feature, ws_user
from hotline.auth.service import get_directory
from hotline.auth.users import Role, User
from hotline.web import page

WS_DOC = ("WebSocket `/ws/agent?token=<token>[&last_id=<stream id>][&agent=agentN for supervisors]` sends "
          "JSON `AgentMessage` objects (schema: GET /api/agents/events/schema, docs/agent-events.md).")

router = APIRouter()
api = APIRouter(prefix="/api/agents", tags=["agents"])
Agents = Annotated[AgentsFeature, Depends(feature("agents"))]


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
async def me(agents: Agents, user: AgentUser) -> dict:
    state = agents.membership.state(user) if user.endpoint else None
    return {"user": user.public(agents.lines), "state": state}


@api.post("/me/login", summary="Join the agent's queues (QueueAdd; static members are un-paused)")
async def queue_login(agents: Agents, user: AgentUser) -> dict:
    return await _act(agents.membership.login(_phone(user)))


@api.post("/me/logout", summary="Leave the queues (QueueRemove; static members are paused with reason 签出)")
async def queue_logout(agents: Agents, user: AgentUser) -> dict:
    return await _act(agents.membership.logout(_phone(user)))


@api.post("/me/pause", summary="Pause in every queue (QueuePause Paused=true Reason=...)")
async def pause(body: PauseRequest, agents: Agents, user: AgentUser) -> dict:
    return await _act(agents.membership.pause(_phone(user), True, body.reason.strip()))


@api.post("/me/resume", summary="Resume taking calls (QueuePause Paused=false)")
async def resume(agents: Agents, user: AgentUser) -> dict:
    return await _act(agents.membership.pause(_phone(user), False))


@api.get("/me/messages", response_model=list[AgentMessage], description=WS_DOC,
         summary="Replay of the agent's screen-pop stream after last_id (what the WebSocket replays)")
async def messages(agents: Agents, user: AgentUser, last_id: str | None = None):
    return await agents.notifier.replay(_phone(user).endpoint, last_id)


@api.get("", summary="Every agent with membership and console connection (supervisor view)")
async def all_agents(agents: Agents, _: SupervisorUser) -> list[dict]:
    online = set(agents.notifier.connected_agents())
    return [{"user": a.public(agents.lines), "state": agents.membership.state(a),
             "console_connected": a.endpoint in online}
            for a in get_directory().agents()]


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
    feature = websocket.app.state.runtime.features.agents
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


@router.get("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    return page("console.html")
