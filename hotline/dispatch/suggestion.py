"""The suggested unit on a draft ticket: computed with its classification (hotline.tickets.service calls
`suggest_onto` whenever it re-derives the category, and when the agent changes category or place)."""
from __future__ import annotations

import logging

from hotline.core.logging import log_event
from hotline.dispatch.directory import UnitsError, load_units
from hotline.dispatch.router import Suggestion, suggest

log = logging.getLogger("hotline.dispatch")


def ticket_texts(ticket) -> list[str]:
    """What the rules look for places and keywords in: the agent's address, the location hints, what the
    caller said (汉字 pass, else the fast pass) and the classifier's matched words."""
    return [ticket.address, *ticket.location_hints, ticket.hanzi.text, ticket.transcript.text,
            " ".join(ticket.matched), " ".join(ticket.transcript.keyword_words)]


def suggestion_for(ticket) -> Suggestion | None:
    """None when the directory cannot be read (logged): the ticket keeps its previous suggestion."""
    try:
        config = load_units()
    except UnitsError as exc:
        log_event(log, "units directory unreadable: no unit suggested", logging.ERROR, error=str(exc)[:300])
        return None
    return suggest(config, ticket.category, ticket_texts(ticket))


def suggest_onto(ticket) -> None:
    found = suggestion_for(ticket)
    if found is not None:
        ticket.suggested_unit, ticket.suggested_rule = found.unit, found.rule
        ticket.suggested_unit_name = found.unit_name[:40]
