"""`hotline reports rebuild`: count every stored ticket again (tickets stored before the reports existed, or
after a Redis restore), through the same fact step as live writes."""
from __future__ import annotations

from hotline.core import keys
from hotline.reports import facts
from hotline.reports.places import default_places
from hotline.tickets import store

BATCH = 1000


async def rebuild(redis) -> int:
    """Drop the per-day aggregates and replay every indexed ticket; returns how many were counted."""
    for pattern in (keys.REPORT_DAY, keys.REPORT_PAIRS, keys.REPORT_FACTS):
        doomed = [k async for k in redis.scan_iter(match=pattern(day="*"), count=1000)]
        for i in range(0, len(doomed), BATCH):
            await redis.delete(*doomed[i:i + BATCH])
    places, counted, offset = default_places(), 0, 0
    while True:
        ids = await redis.zrange(keys.TICKETS(), offset, offset + BATCH - 1)
        if not ids:
            return counted
        offset += len(ids)
        pipe = redis.pipeline(transaction=False)
        for ticket in await store.load_many(redis, ids):
            pipe.eval(*facts.command(facts.fact_of(ticket, places)))
            counted += 1
        await pipe.execute()
