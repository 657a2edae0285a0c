"""Repeat links: the same caller again, or the same issue (category + place) from anyone within a window.

Pure: the service loads the candidate tickets, this decides which ones are repeats.
"""
from __future__ import annotations

from hotline.tickets.model import REPEAT_IDS_MAX, REPEAT_LABEL, Repeat
from hotline.tickets.pinyin import hanzi_syllables, plain, syllables

WINDOW_SECONDS = 30 * 24 * 3600
MIN_PLACE_SYLLABLES = 2


def place_key(hint: str) -> tuple[str, ...]:
    """Tone-free syllables of a hint, so a 汉字 hint and a pinyin hint of the same place compare equal."""
    toned = hanzi_syllables(hint) or tuple(syllables(hint))
    return tuple(plain(s) for s in toned)


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def places_overlap(hints_a: list[str], hints_b: list[str]) -> bool:
    """One place hint lies inside the other ("阳光花园" vs "阳光花园小区3号楼")."""
    for a in map(place_key, hints_a):
        for b in map(place_key, hints_b):
            short, long_ = sorted((a, b), key=len)
            if len(short) >= MIN_PLACE_SYLLABLES and _contains(long_, short):
                return True
    return False


def _recent(candidates: list[dict], ticket: dict) -> list[dict]:
    since = ticket["created_at"] - WINDOW_SECONDS
    return [c for c in candidates if c["id"] != ticket["id"] and c["created_at"] >= since]


def same_caller(ticket: dict, candidates: list[dict]) -> list[str]:
    if not ticket.get("caller"):
        return []
    return [c["id"] for c in _recent(candidates, ticket) if c.get("caller") == ticket["caller"]]


def same_issue(ticket: dict, candidates: list[dict], fallback_category: str) -> list[str]:
    category = ticket.get("category")
    if not category or category == fallback_category or not ticket.get("location_hints"):
        return []
    return [c["id"] for c in _recent(candidates, ticket)
            if c.get("category") == category and places_overlap(ticket["location_hints"], c.get("location_hints") or [])]


def links(ticket: dict, caller_candidates: list[dict], issue_candidates: list[dict], fallback_category: str) -> Repeat:
    """Newest first, at most REPEAT_IDS_MAX of each kind."""
    by_caller = same_caller(ticket, caller_candidates)[:REPEAT_IDS_MAX]
    by_issue = same_issue(ticket, issue_candidates, fallback_category)[:REPEAT_IDS_MAX]
    return Repeat(same_caller_ticket_ids=by_caller, same_issue_ticket_ids=by_issue,
                  label=REPEAT_LABEL if by_caller or by_issue else None)
