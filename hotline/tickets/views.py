"""What other features are shown of a ticket: bounded views for screen-pops (hotline.agents)."""
from __future__ import annotations

from hotline.tickets.model import clip

HISTORY_FIELDS = ("id", "created_at", "line", "category", "request_type", "urgency", "status")


def agent_view(ticket: dict | None) -> dict | None:
    """What a screen-pop carries: the ticket without its audit trail (GET /api/tickets/{id} has it all)."""
    if ticket is None:
        return None
    return {**{k: v for k, v in ticket.items() if k != "audit"}, "audit_entries": len(ticket.get("audit") or [])}


def history_view(ticket: dict) -> dict:
    """An earlier ticket as the pop's history table shows it (summary shortened)."""
    return {**{k: ticket.get(k) for k in HISTORY_FIELDS}, "summary": clip(ticket.get("summary"), 200)}
