"""Draft tickets (工单草稿). Other features use only what this module exports."""
from hotline.tickets.access import add_handler
from hotline.tickets.service import (
    TicketConflict,
    TicketInvalid,
    TicketNotFound,
    get_ticket,
    open_draft,
    set_callback,
    ticket_id_for_call,
    tickets_for_caller,
)
from hotline.tickets.views import agent_view, history_view

__all__ = ["TicketConflict", "TicketInvalid", "TicketNotFound", "add_handler", "agent_view", "get_ticket", "history_view",
           "open_draft", "set_callback", "ticket_id_for_call", "tickets_for_caller"]
