"""Staffing advice for one queue: Erlang C on the measured arrival rate and handle time."""
from __future__ import annotations

import math

from hotline.supervision.config import Staffing
from hotline.supervision.erlang import agents_needed
from hotline.supervision.queue_model import QueueModel


def staffing_advice(model: QueueModel, queue: str, now: float, targets: Staffing) -> dict:
    """How many agents the queue needs now and how many to add ("需要增配 N 名话务员").

    Arrival rate: the busier of the last 5 and 15 minutes (a peak shows up fast, a lull does not
    hide it); handle time: mean talk time of the last 15 minutes. Configured defaults stand in
    until the queue has data of its own."""
    rate = max(model.arrival_rate(queue, now, 300), model.arrival_rate(queue, now, 900))
    talks = model.queue(queue).talks.window(now, 900)      # marked: talks longer than 0 s
    measured_rate, measured_aht = rate > 0, talks.marked > 0
    if not measured_rate:
        rate = targets.default_calls_per_hour / 3600
    aht = talks.total / talks.marked if measured_aht else targets.default_aht_s
    need = agents_needed(rate, aht, targets.target_service_level, targets.target_answer_s,
                         targets.max_occupancy, targets.shrinkage)
    live = model.snapshot(queue, now=None)
    on_phones = live["agents_logged_in"] - live["agents_paused"]
    add = max(0, need.agents - on_phones)
    return {
        "agents_needed": need.agents,
        "agents_scheduled": need.scheduled,
        "agents_on_phones": on_phones,
        "add_agents": add,
        "traffic_erlangs": round(need.traffic_erlangs, 2),
        "calls_per_hour": round(rate * 3600, 1),
        "aht_s": round(aht, 1),
        "predicted_service_level": round(100 * need.service_level, 1),
        "predicted_asa_s": round(need.asa_s, 1) if math.isfinite(need.asa_s) else None,
        "basis": "measured" if measured_rate and measured_aht else ("partly default" if measured_rate or measured_aht
                                                                    else "default"),
        "message": _message(add, need.agents, measured_rate),
    }


def _message(add: int, needed: int, measured: bool) -> str:
    if not measured:  # an idle line: a planning figure from the configured forecast, not a shortfall
        return f"近期无来电，按默认话务量需在线 {needed} 人"
    return f"需要增配 {add} 名话务员" if add else "当前人手充足"
