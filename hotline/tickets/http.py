"""Draft-ticket API for the agent console: list, show, edit/claim, submit."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from hotline.agents.auth import require_role
from hotline.tickets import service
from hotline.tickets.model import TicketChanges

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
agent_or_above = require_role("agent")


def _redis(request: Request):
    return request.app.state.runtime.redis


async def _call(operation):
    """Map service errors to HTTP: not found 404, state conflict 409, invalid change 422."""
    try:
        return await operation
    except service.TicketNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except service.TicketConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except service.TicketInvalid as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("")
async def list_tickets(request: Request,
                       status_: Literal["draft", "claimed", "submitted"] | None = Query(None, alias="status"),
                       line: str | None = Query(None, max_length=32, description="a line of config/queues.yaml"),
                       category: str | None = Query(None, max_length=40),
                       limit: int = Query(50, ge=1, le=500),
                       user=Depends(agent_or_above)) -> dict:
    if line is not None and line not in request.app.state.runtime.lines:
        raise HTTPException(422, f"unknown line {line!r}; one of {request.app.state.runtime.lines.names}")
    tickets = await service.list_tickets(_redis(request), status_, line, category, limit)
    return {"tickets": tickets, "count": len(tickets)}


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: str, request: Request, user=Depends(agent_or_above)) -> dict:
    return await _call(service.get_ticket(_redis(request), ticket_id))


@router.patch("/{ticket_id}")
async def update_ticket(ticket_id: str, changes: TicketChanges, request: Request, user=Depends(agent_or_above)) -> dict:
    return await _call(service.update_ticket(_redis(request), ticket_id, changes.given(), user.username))


@router.post("/{ticket_id}/submit")
async def submit_ticket(ticket_id: str, request: Request, user=Depends(agent_or_above)) -> dict:
    return await _call(service.submit_ticket(_redis(request), ticket_id, user.username))
