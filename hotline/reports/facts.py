"""What the hotspot reports count of a ticket (its "fact") and the per-day aggregates that count it.

The ticket store calls `queue()` in the same transaction that writes a ticket, so the aggregates follow every
create and reclassification. One Lua step per ticket swaps the fact it counted before for the new one
(decrements the old fields, increments the new), so applying a fact twice or out of order never double-counts
and `hotline reports rebuild` can replay all tickets. Keys (hotline.core.keys, owner reports):
  REPORT_DAY   hash  total, hour:HH, line:X, category:X, district:X, street:X, place:X  -> count
  REPORT_PAIRS hash  category|place -> count (the cluster test's baseline)
  REPORT_FACTS hash  ticket id -> JSON fact {t, c, p, k, f, q} (the cluster scan reads it)
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from hotline.core import keys
from hotline.core.logging import log_event
from hotline.core.redis_client import run_script
from hotline.reports.places import UNKNOWN, Places, clean, default_places

log = logging.getLogger("hotline.reports.facts")
RETENTION_S = 400 * 86400   # a year and the trailing baseline of its first months

_APPLY = """
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old == ARGV[2] then return 0 end
local function add(fact, step)
  for _, field in ipairs(fact.f) do
    if redis.call('HINCRBY', KEYS[1], field, step) <= 0 then redis.call('HDEL', KEYS[1], field) end
  end
  if fact.q ~= '' and redis.call('HINCRBY', KEYS[2], fact.q, step) <= 0 then redis.call('HDEL', KEYS[2], fact.q) end
end
if old then add(cjson.decode(old), -1) end
add(cjson.decode(ARGV[2]), 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
return 1
"""


@dataclass(frozen=True)
class Fact:
    ticket_id: str
    day: str          # YYYYMMDD, local time (as the ticket ids)
    created_at: float
    line: str
    category: str
    district: str
    street: str
    place: str
    caller: str       # a short digest: the cluster test counts distinct callers without keeping numbers

    def fields(self) -> list[str]:
        hour = time.localtime(self.created_at).tm_hour
        out = ["total", f"hour:{hour:02d}", f"line:{self.line or UNKNOWN}", f"category:{self.category or UNKNOWN}",
               f"district:{self.district or UNKNOWN}"]
        out += [f"street:{self.street}"] if self.street else []
        return out + ([f"place:{self.place}"] if self.place else [])

    @property
    def pair(self) -> str:
        return f"{self.category}|{self.place}" if self.place and self.category else ""

    def to_json(self) -> str:
        return json.dumps({"t": round(self.created_at, 3), "c": self.category, "p": self.place, "k": self.caller,
                           "f": self.fields(), "q": self.pair}, ensure_ascii=False, separators=(",", ":"))


def day_of(epoch: float) -> str:
    return time.strftime("%Y%m%d", time.localtime(epoch))


def caller_digest(caller: str, ticket_id: str) -> str:
    """Anonymous callers are not one person: each counts as its own caller."""
    if not caller:
        return "anon:" + ticket_id
    return hashlib.blake2b(caller.encode(), digest_size=6).hexdigest()


def fact_of(ticket, places: Places | None = None) -> Fact:
    place = (places or default_places()).resolve(list(ticket.location_hints), ticket.address)
    return Fact(ticket.id, day_of(ticket.created_at), ticket.created_at, clean(ticket.line), clean(ticket.category),
                place.district if place else "", place.street if place else "", place.name if place else "",
                caller_digest(ticket.caller, ticket.id))


def command(fact: Fact) -> tuple:
    """EVAL arguments that make the aggregates count `fact` (in place of what they counted for its ticket)."""
    return (_APPLY, 3, keys.REPORT_DAY(day=fact.day), keys.REPORT_PAIRS(day=fact.day),
            keys.REPORT_FACTS(day=fact.day), fact.ticket_id, fact.to_json(), RETENTION_S)


def queue(pipe, ticket) -> None:
    """Add the ticket's fact to a pipeline/transaction. A fact that cannot be made (a broken gazetteer) is
    logged and skipped: reports never stop a ticket from being stored (`hotline reports rebuild` catches up)."""
    try:
        pipe.eval(*command(fact_of(ticket)))
    except Exception as exc:
        log_event(log, "ticket not counted in reports", logging.WARNING, ticket_id=ticket.id, error=repr(exc)[:200])


async def record(redis, ticket) -> None:
    try:
        await run_script(redis, *command(fact_of(ticket)))
    except Exception as exc:
        log_event(log, "ticket not counted in reports", logging.WARNING, ticket_id=ticket.id, error=repr(exc)[:200])
