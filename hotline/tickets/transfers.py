"""A ticket's partner transfers (水电气热 linkage): recorded by hotline/partners as they start and end."""
from __future__ import annotations

import time

from hotline.tickets import store
from hotline.tickets.model import (
    ERROR_MAX,
    LABEL_MAX,
    NAME_MAX,
    TRANSFERS_MAX,
    Ticket,
    Transcript,
    TransferRecord,
    clip,
)

FINAL = ("answered", "no_answer", "returned", "cancelled")


async def record_transfer(redis, call_id: str, *, partner: str, label: str, mode: str, by: str) -> Ticket | None:
    """A new transfer of the call's ticket (pending); None when the call has no ticket (yet)."""
    ticket_id = await store.id_for_call(redis, call_id)
    if not ticket_id:
        return None

    def add(ticket: Ticket) -> str:
        entry = TransferRecord(partner=clip(partner, NAME_MAX), label=clip(label, LABEL_MAX), mode=mode,
                               by=clip(by, NAME_MAX), at=time.time())
        ticket.transfers = [*ticket.transfers, entry][-TRANSFERS_MAX:]
        ticket.record(by, "transfer", {"partner": partner, "mode": mode})
        return "updated"
    return await store.mutate(redis, ticket_id, add)


async def pending_transfer(redis, call_id: str, partner: str) -> bool:
    ticket_id = await store.id_for_call(redis, call_id)
    if not ticket_id:
        return False
    ticket = await store.load(redis, ticket_id)
    return any(t.partner == partner and t.result == "pending" for t in ticket.transfers)


async def transfer_result(redis, call_id: str, partner: str, result: str, status: str = "") -> Ticket | None:
    """The last pending transfer to `partner` gets its result. A transfer the partner answered leaves no
    description to transcribe: the ticket says so instead of waiting for one."""
    assert result in FINAL
    ticket_id = await store.id_for_call(redis, call_id)
    if not ticket_id:
        return None

    def settle(ticket: Ticket) -> str | None:
        pending = [t for t in ticket.transfers if t.partner == partner and t.result == "pending"]
        if not pending:
            return None
        entry = pending[-1]
        entry.result, entry.status, entry.result_at = result, clip(status, LABEL_MAX), time.time()  # type: ignore[assignment]
        ticket.transfers = list(ticket.transfers)
        if result == "answered" and not ticket.recording_path:
            note = clip(f"transferred to {partner}: the partner took the request", ERROR_MAX)
            for field in ("transcript", "hanzi"):
                if getattr(ticket, field).status == "pending":
                    setattr(ticket, field, Transcript(status="no_recording", error=note))
        ticket.record("system", "transfer_result", {"partner": partner, "result": result, "status": status})
        return "updated"
    return await store.mutate(redis, ticket_id, settle)
