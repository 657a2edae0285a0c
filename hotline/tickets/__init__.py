"""Draft tickets (工单草稿). Other features use only what this module exports."""
from hotline.tickets.service import (
    TicketConflict,
    TicketInvalid,
    TicketNotFound,
    get_ticket,
    open_draft,
    ticket_id_for_call,
    tickets_for_caller,
)

__all__ = ["TicketConflict", "TicketInvalid", "TicketNotFound", "get_ticket", "open_draft", "ticket_id_for_call",
           "tickets_for_caller"]
