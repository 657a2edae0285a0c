"""How long a caller joining a line now would wait, from the live queue model (hotline/supervision/queue_model.py).

Position-based: the callers ahead are served as agents free up, each agent freeing up every `aht` seconds on
average, so the k-th caller beyond the free agents waits about k × aht / agents. Erlang C (the staffing advice)
answers another question, the average wait over a steady stream; at a peak the queue that is already there
is what a new caller waits behind, and this count sees it at once.
"""
from __future__ import annotations

import math

from hotline.supervision.queue_model import QueueModel


def handle_time(model: QueueModel, line: str, now: float, default_aht: float) -> float:
    """Mean talk time of the last 15 minutes, or the configured default while the line has none."""
    talks = model.queue(line).talks.window(now, 900)   # `marked`: the talks longer than 0 s
    return talks.total / talks.marked if talks.marked else default_aht


def estimated_wait(model: QueueModel, line: str, now: float, default_aht: float) -> float:
    """Seconds a new caller of `line` would wait; inf when nobody is on the phones."""
    live = model.snapshot(line, now=None)
    waiting, free = live["callers_waiting"], live["agents_available"]
    on_phones = live["agents_logged_in"] - live["agents_paused"]
    if free > waiting:
        return 0.0
    if on_phones <= 0:
        return math.inf
    ahead = waiting - free + 1   # this caller is served by the (ahead)-th agent to free up
    return ahead * handle_time(model, line, now, default_aht) / on_phones
