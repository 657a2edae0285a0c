"""Overflow rules and staffing targets edited at run time (the /admin rules editor, PUT /api/rules).

config/overflow.yaml stays the base (intervals, webhooks, ...); the editable part (`EDITABLE`: staffing
targets, default rules and per-line rules/overflow/targets) is stored as one versioned JSON document in
Redis and laid over the file, validated by the same OverflowConfig model. The supervision feature applies
it at start and whenever it is saved, without restart.
"""
from __future__ import annotations

import json
import time
from typing import Any

from pydantic import ValidationError
from redis.exceptions import WatchError

from hotline.core import keys
from hotline.supervision.config import OverflowConfig

EDITABLE = ("staffing", "default_rules", "queues")


class RulesInvalid(ValueError):
    def __init__(self, errors: list[dict]) -> None:
        super().__init__("; ".join(f"{e['path'] or '(top)'}: {e['message']}" for e in errors))
        self.errors = errors


def editable(config: OverflowConfig) -> dict:
    """The part of the config an admin edits, as plain JSON (`raise`/`clear` as in the file)."""
    return config.model_dump(mode="json", by_alias=True, include=set(EDITABLE), exclude_none=True)


def overlay(base: OverflowConfig, rules: Any, lines: list[str]) -> OverflowConfig:
    """`base` with the editable part replaced by `rules`; RulesInvalid lists every problem with its path."""
    if not isinstance(rules, dict):
        raise RulesInvalid([{"path": "", "loc": [], "message": "must be an object"}])
    other = sorted(set(rules) - set(EDITABLE))
    if other:
        raise RulesInvalid([{"path": k, "loc": [k], "message": f"not editable here (only {', '.join(EDITABLE)})"}
                            for k in other])
    merged = base.model_dump(mode="json", by_alias=True) | rules
    try:
        return OverflowConfig.model_validate(merged, context={"lines": lines})
    except ValidationError as exc:
        raise RulesInvalid([{"path": ".".join(map(str, e["loc"])), "loc": list(e["loc"]),
                             "message": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]) from None


async def load(redis) -> dict | None:
    """The stored document {version, author, at, note, rules}, or None when never edited."""
    raw = await redis.get(keys.OVERFLOW_RULES())
    return json.loads(raw) if raw else None


async def save(redis, rules: dict, *, author: str, note: str = "") -> int:
    """Store a validated document as the next version (WATCHed: two admins saving at once both get a number)."""
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(keys.OVERFLOW_RULES())
                raw = await pipe.get(keys.OVERFLOW_RULES())
                version = (json.loads(raw)["version"] if raw else 0) + 1
                pipe.multi()
                pipe.set(keys.OVERFLOW_RULES(), json.dumps({"version": version, "author": author, "at": time.time(),
                                                            "note": note, "rules": rules}, ensure_ascii=False))
                await pipe.execute()
                return version
            except WatchError:   # someone saved in between: take the next number
                continue
