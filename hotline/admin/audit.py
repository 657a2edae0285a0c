"""The audit trail: every admin change (who, role, from where, what, before → after as a readable diff).

One stream (keys.AUDIT), written only here. Services that change configuration call `record` with the
value before and after; nothing is changed without an entry (callers record after a successful change,
in the same request). Values are JSON-able (dicts from pydantic `model_dump(mode="json")`, strings, ...).
"""
from __future__ import annotations

import difflib
import json
import time
from dataclasses import dataclass
from typing import Any

from hotline.core import keys

MAXLEN = 100_000
_MAX_DIFF_LINES = 400   # a whole-menu rewrite stays readable and bounded


@dataclass(frozen=True)
class Actor:
    """Who made a change and from where (HTTP: the user and the client address; CLI: the OS user, "cli")."""
    username: str
    role: str
    source: str


def readable_diff(before: Any, after: Any) -> str:
    """A unified diff of the two values as indented JSON (keys sorted, Chinese kept readable)."""
    def lines(value: Any) -> list[str]:
        if value is None:
            return []
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
        return text.splitlines()
    diff = list(difflib.unified_diff(lines(before), lines(after), "before", "after", lineterm="", n=2))
    if len(diff) > _MAX_DIFF_LINES:
        diff = diff[:_MAX_DIFF_LINES] + [f"… ({len(diff) - _MAX_DIFF_LINES} more lines)"]
    return "\n".join(diff)


async def record(redis, actor: Actor, action: str, target: str, before: Any = None, after: Any = None,
                 note: str = "") -> str:
    """Append one entry; returns its stream id. `action` e.g. "menu.publish", `target` e.g. "menu:7"."""
    entry = {
        "at": f"{time.time():.3f}", "actor": actor.username, "role": actor.role, "source": actor.source,
        "action": action, "target": target, "note": note,
        "before": json.dumps(before, ensure_ascii=False), "after": json.dumps(after, ensure_ascii=False),
        "diff": readable_diff(before, after),
    }
    return await redis.xadd(keys.AUDIT(), entry, maxlen=MAXLEN, approximate=True)


def _decode(entry_id: Any, fields: dict) -> dict:
    text = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()}
    return {
        "id": entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
        "at": float(text.get("at", 0)), "actor": text.get("actor", ""), "role": text.get("role", ""),
        "source": text.get("source", ""), "action": text.get("action", ""), "target": text.get("target", ""),
        "note": text.get("note", ""), "diff": text.get("diff", ""),
        "before": json.loads(text.get("before") or "null"), "after": json.loads(text.get("after") or "null"),
    }


async def entries(redis, *, actor: str | None = None, action: str | None = None, target: str | None = None,
                  since: float | None = None, limit: int = 100) -> list[dict]:
    """Newest first, filtered (action/target match by prefix: "menu" finds "menu.publish")."""
    found: list[dict] = []
    last = "+"
    while len(found) < limit:
        batch = await redis.xrevrange(keys.AUDIT(), max=last, min="-", count=500)
        if not batch:
            break
        for entry_id, fields in batch:
            item = _decode(entry_id, fields)
            if since is not None and item["at"] < since:
                return found
            if ((actor is None or item["actor"] == actor) and (action is None or item["action"].startswith(action))
                    and (target is None or item["target"].startswith(target))):
                found.append(item)
                if len(found) >= limit:
                    break
        last = "(" + _decode(*batch[-1])["id"]   # exclusive: continue below the oldest entry read
        if len(batch) < 500:
            break
    return found
