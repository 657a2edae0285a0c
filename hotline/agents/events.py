"""Schemas of what the agent WebSocket (/ws/agent) sends; published in OpenAPI and docs/agent-events.md."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CallInfo(BaseModel):
    """Call summary: `hotline:call:{call_id}` fields plus what the queue event carried."""
    model_config = {"extra": "allow"}
    call_id: str | None = None
    caller: str | None = Field(None, description="full caller number (the agent needs it; logs mask it)")
    route: str | None = Field(None, description="the line's name (config/queues.yaml `name`)")
    line: str | None = Field(None, description="the line's label (config/queues.yaml `label`)")
    queue: str | None = None
    started_at: float | None = Field(None, description="epoch seconds the call reached 12345 (150 s target clock)")
    hold_seconds: int | None = Field(None, description="AgentConnect HoldTime: seconds in queue")
    ticket_id: str | None = None


class AgentMessage(BaseModel):
    """One message on /ws/agent. Call messages (ringing/pop/update/ended) are kept in the Redis stream
    `hotline:screenpop:{agent}` and carry its `id`; reconnect with `?last_id=<id>` to get what you missed."""
    model_config = {"extra": "allow"}
    id: str | None = Field(None, description="stream id (absent on `hello` and `state`)")
    type: Literal["hello", "state", "ringing", "pop", "update", "ended"]
    agent: str | None = Field(None, description="endpoint of the agent this was sent to (agentN)")
    sent_at: float | None = None
    call: CallInfo | None = None
    ticket: dict | None = Field(None, description="draft ticket as hotline.tickets stores it (null if none yet)")
    previous_tickets: list[dict] | None = Field(None, description="pop only: the caller's earlier tickets")
    agent_connect_at: float | None = Field(None, description="pop only: when AgentConnect was handled")
    kind: str | None = Field(None, description="update only: created/transcribed/updated/submitted")
    reason: str | None = Field(None, description="ended only: caller/agent/transfer/no_answer/abandoned/answered_elsewhere")
    state: dict | None = Field(None, description="hello/state: queue membership as Asterisk reports it")
    user: dict | None = Field(None, description="hello only: the logged-in user")


class WebhookEvent(BaseModel):
    """Body POSTed to each configured webhook URL (users.yaml `webhooks.urls`)."""
    model_config = {"extra": "allow"}
    event: Literal["screen_pop", "ticket_submitted"]
    at: float
    agent: str
    id: str
    type: Literal["pop", "update"]
    call: CallInfo | None = None
    ticket: dict | None = None


class PauseRequest(BaseModel):
    reason: str = Field("", max_length=64, description="shown to supervisors, e.g. 小休 / 培训 / 整理工单")
