"""Draft-ticket API for the agent console: list, show, edit/claim, submit, and the form's choices.
Agents reach only the tickets of calls their phone held (hotline.tickets.access); supervisors and admins all."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query, status

from hotline.api.deps import AgentUser, RedisDep, RuntimeDep
from hotline.auth.users import User
from hotline.tickets import access, satisfaction, service
from hotline.tickets.model import TicketChanges
from hotline.tickets.taxonomy import default_taxonomy

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


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


async def _workable(redis, ticket_id: str, user: User) -> dict:
    """The ticket, if this user may see and work on it: 404 when there is none, 403 when it is not theirs."""
    ticket = await _call(service.get_ticket(redis, ticket_id))
    if not access.may_work_on(user, ticket):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not a ticket of a call your phone held")
    return ticket


@router.get("")
async def list_tickets(runtime: RuntimeDep, user: AgentUser,
                       status_: Literal["draft", "claimed", "submitted", "dispatched"] | None = Query(None, alias="status"),
                       line: str | None = Query(None, max_length=32, description="a line of config/queues.yaml"),
                       category: str | None = Query(None, max_length=40),
                       limit: int = Query(50, ge=1, le=500),
                       review: Literal["unsatisfied"] | None = Query(
                           None, description="unsatisfied: tickets rated 不满意 (supervisors and admins)")) -> dict:
    if review is not None:   # the review list (hotline/tickets/satisfaction.py), newest rating first
        if user.role.value not in ("supervisor", "admin"):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the review list is for supervisors")
        tickets = await satisfaction.review_list(runtime.redis, limit)
        return {"tickets": tickets, "count": len(tickets), "review": review}
    if line is not None and line not in runtime.lines:
        raise HTTPException(422, f"unknown line {line!r}; one of {runtime.lines.names}")
    tickets = await service.list_tickets(runtime.redis, status_, line, category, limit,
                                         handler=access.handler_filter(user))
    return {"tickets": tickets, "count": len(tickets)}


@router.get("/form-options", summary="Choices of the ticket form: categories, 诉求类型, urgency levels")
async def form_options(_: AgentUser) -> dict:
    tax = default_taxonomy()
    urgency = [{"value": tax.urgency.default, "label": "一般"}]
    urgency += [{"value": level.name, "label": level.label} for level in tax.urgency.levels]
    return {"categories": tax.category_names, "request_types": tax.request_type_names, "urgency": urgency}


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: str, redis: RedisDep, user: AgentUser) -> dict:
    return await _workable(redis, ticket_id, user)


@router.patch("/{ticket_id}")
async def update_ticket(ticket_id: str, changes: TicketChanges, redis: RedisDep, user: AgentUser) -> dict:
    await _workable(redis, ticket_id, user)
    return await _call(service.update_ticket(redis, ticket_id, changes.given(), user.username))


@router.post("/{ticket_id}/submit")
async def submit_ticket(ticket_id: str, redis: RedisDep, user: AgentUser) -> dict:
    await _workable(redis, ticket_id, user)
    return await _call(service.submit_ticket(redis, ticket_id, user.username))
