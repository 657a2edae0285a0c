"""What the call flow needs from the rest of the hotline, as small protocols the composition root fills in
(hotline/runtime.py): ivr/ never imports a feature."""
from __future__ import annotations

from typing import Protocol


class TicketOpener(Protocol):
    async def __call__(self, call: dict) -> dict:
        """Open (idempotently, by call_id) the call's draft ticket; returns it with its `id`."""
        ...


class OverflowPolicy(Protocol):
    async def __call__(self, queue: str) -> dict | None:
        """Where a NEW caller of `queue` goes while an overflow alert is active: None (stay),
        {"action": "route", "queue": ...} or {"action": "announce", "prompt": ...} (then stay)."""
        ...


async def no_overflow(queue: str) -> dict | None:
    return None


class SurveyRecorder(Protocol):
    async def __call__(self, result: dict) -> None:
        """A caller's survey answer: {call_id, ticket_id, line, agent, answer ("1"/"2"/"3"/"none")}."""
        ...


class OpeningHours(Protocol):
    def __call__(self, line: str, now: float) -> tuple[bool, dict | None]:
        """(open, fallback) for a caller pressing `line`'s key at epoch `now`. Closed: fallback is
        {"prompt": ..., "queue": another line} or {"prompt": ..., "callback": True} (record, ticket, goodbye)."""
        ...


def always_open(line: str, now: float) -> tuple[bool, dict | None]:
    return True, None
