"""Who may see and work on a ticket: agents the tickets of calls their phone held (or was transferred to);
supervisors and admins every ticket. The agents feature reports each holder (`add_handler`) when the queue
connects the call; routes ask `may_work_on` / `visible_ids`."""
from __future__ import annotations

import logging

from hotline.auth.users import Role, User
from hotline.core.logging import log_event
from hotline.tickets import store
from hotline.tickets.model import HANDLERS_MAX, Ticket

log = logging.getLogger("hotline.tickets.access")


def sees_everything(user: User) -> bool:
    return user.role in (Role.supervisor, Role.admin)


def may_work_on(user: User, ticket: dict) -> bool:
    return sees_everything(user) or bool(user.endpoint and user.endpoint in ticket.get("handlers", []))


async def add_handler(redis, call_id: str, agent: str) -> bool:
    """Record that `agent`'s phone held the call: the ticket lists it and the agent's index has the ticket.
    False when the call has no ticket yet (it is still in the spool; supervisors see it meanwhile)."""
    ticket_id = await store.id_for_call(redis, call_id)
    if not ticket_id:
        log_event(log, "no ticket yet for the held call", logging.WARNING, call_id=call_id, agent=agent)
        return False

    def add(ticket: Ticket) -> str | None:
        if agent in ticket.handlers:
            return None
        ticket.handlers = [*ticket.handlers, agent][-HANDLERS_MAX:]
        ticket.record("system", "handler", {"agent": agent})
        return "updated"
    ticket = await store.mutate(redis, ticket_id, add)
    await redis.zadd(store.HANDLER_KEY.format(agent=agent), {ticket_id: ticket.created_at})
    return True



def handler_filter(user: User) -> str | None:
    """What list_tickets filters on for this user: their phone, or None (everything)."""
    return None if sees_everything(user) else (user.endpoint or "-")
