"""`hotline tickets check`: find stored tickets that no longer validate; with fix, repair or quarantine them."""
from __future__ import annotations

from pydantic import ValidationError

from hotline.tickets import store
from hotline.tickets.model import Ticket
from hotline.tickets.repair import repair

BATCH = 500


async def check_all(redis, fix: bool = False) -> tuple[int, list[dict]]:
    """(tickets checked, one row per invalid ticket: {id, problems, action reported|repaired|quarantined})."""
    ids = await store.scan_ids(redis)
    rows = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        for ticket_id, raw in zip(batch, await redis.mget([store.TICKET_KEY.format(ticket_id=i) for i in batch])):
            if raw is not None and not _valid(raw):
                rows.append(await _handle(redis, ticket_id, raw, fix))
    return len(ids), rows


def _valid(raw: str) -> bool:
    try:
        Ticket.model_validate_json(raw)
        return True
    except ValidationError:
        return False


async def _handle(redis, ticket_id: str, raw: str, fix: bool) -> dict:
    ticket, problems = repair(raw, ticket_id)
    action = "reported"
    if fix and ticket is not None:
        await store.mutate(redis, ticket_id, lambda _t: None)  # writes the repaired ticket back, audited
        action = "repaired"
    elif fix and await store.quarantine(redis, ticket_id):
        action = "quarantined"
    return {"id": ticket_id, "repairable": ticket is not None, "problems": problems, "action": action}
