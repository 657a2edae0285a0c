"""Stored tickets that no longer validate (written before the schema was strict, or edited by hand).

Pure: `repair(raw, ticket_id)` fixes a stored ticket field by field — an oversize value is clipped, a
null or wrongly typed field goes back to its default, a bad list item is dropped — so one broken ticket
never breaks a listing, a screen-pop or the ASR worker's repeat lookup. What cannot be repaired (not
JSON, no call id) is left for `hotline tickets check --fix` to quarantine.
"""
from __future__ import annotations

import json
import time

from pydantic import ValidationError

from hotline.tickets.model import ID_MAX, Ticket, clip, compact_changes

MAX_FIXES = 500  # one fix per pass; a ticket needing more is beyond repair


class Unrepairable(ValueError):
    pass


def repair(raw: str | bytes, ticket_id: str) -> tuple[Ticket | None, list[str]]:
    """(ticket, problems). Valid: (ticket, []). Repaired: (ticket, what was fixed). Beyond repair: (None, why)."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None, ["not JSON"]
    if not isinstance(data, dict):
        return None, ["not a JSON object"]
    problems: list[str] = []
    if data.get("id") != ticket_id:  # the key it is stored under is the truth
        problems.append(f"id: {clip(data.get('id'), 40)!r} is not the key's; set to {ticket_id}")
        data["id"] = ticket_id
    problems += _compact_audit(data)
    for _ in range(MAX_FIXES):
        try:
            return Ticket.model_validate_json(json.dumps(data)), problems
        except ValidationError as exc:
            error = _first(data, exc.errors())
        try:
            problems.append(_fix(data, error))
        except Unrepairable as exc:
            return None, problems + [str(exc)]
    return None, problems + [f"more than {MAX_FIXES} problems"]


def _compact_audit(data: dict) -> list[str]:
    """Audit entries from before compaction carried whole values (megabytes): keep names and previews."""
    entries = data.get("audit") if isinstance(data.get("audit"), list) else []
    compacted = 0
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("changes"), dict):
            short = compact_changes(entry["changes"])
            if short != entry["changes"]:
                entry["changes"], compacted = short, compacted + 1
    return [f"audit: {compacted} entries compacted"] if compacted else []


def _first(data: dict, errors: list[dict]) -> dict:
    """The first error; for a value that fits no member of a union, the member error that can clip it."""
    first = errors[0]
    path = _existing(data, list(first["loc"]))
    clippable = [e for e in errors if _existing(data, list(e["loc"])) == path
                 and e["type"] in ("string_too_long", "too_long")]
    return clippable[0] if clippable and path != list(first["loc"]) else first


def _where(error: dict) -> str:
    return ".".join(map(str, error["loc"])) or "ticket"


def _fix(data: dict, error: dict) -> str:
    loc = list(error["loc"])
    if len(loc) == 1 and loc[0] in ("call_id", "created_at", "updated_at"):
        return _fix_required(data, loc[0], error)
    path = _existing(data, loc)
    if error["type"] == "missing" or not path:  # a nested required value is gone: drop what held it
        path = path[:-1] if path == loc else path
    if not path:
        raise Unrepairable(f"{_where(error)}: {error['msg']}")
    parent, key = _get(data, path[:-1]), path[-1]
    value = parent[key]
    limit = (error.get("ctx") or {}).get("max_length")
    if error["type"] == "string_too_long" and isinstance(value, str) and limit:
        parent[key] = clip(value, limit)
        return f"{_where(error)}: clipped to {limit} characters"
    if error["type"] == "too_long" and isinstance(value, (list, dict)) and limit:
        parent[key] = value[:limit] if isinstance(value, list) else dict(list(value.items())[:limit])
        return f"{_where(error)}: cut to {limit} items"
    if len(path) == 1 and path[0] in ("id", "call_id", "created_at", "updated_at"):
        raise Unrepairable(f"{_where(error)}: {error['msg']}")
    del parent[key]
    return f"{'.'.join(map(str, path))}: {error['msg']}; " + ("dropped" if isinstance(parent, list) else "reset to default")


def _fix_required(data: dict, field: str, error: dict) -> str:
    value = data.get(field)
    if field in ("created_at", "updated_at"):
        other = data.get("updated_at" if field == "created_at" else "created_at")
        data[field] = float(other) if isinstance(other, (int, float)) and not isinstance(other, bool) else time.time()
        return f"{field}: {error['msg']}; set to {data[field]:.0f}"
    if field == "call_id" and isinstance(value, (int, float, str)) and not isinstance(value, bool) and str(value):
        data[field] = clip(value, ID_MAX * 2)
        return f"call_id: {error['msg']}; made a string"
    raise Unrepairable(f"call_id: {error['msg']}")


def _existing(data, loc: list) -> list:
    """The longest prefix of `loc` that exists in `data` (union members add names that do not)."""
    node, path = data, []
    for key in loc:
        if isinstance(node, dict) and key in node or isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            path.append(key)
        else:
            break
    return path


def _get(data, path: list):
    for key in path:
        data = data[key]
    return data
