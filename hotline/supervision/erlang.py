"""Erlang C staffing maths (M/M/N queue, callers wait, no abandonment). Pure functions.

Erlang B is computed with the iterative recursion B(0)=1, B(n)=A·B(n-1)/(n+A·B(n-1)), which never
forms A^N or N! and so stays stable for hundreds of agents; Erlang C follows from B:
C = N·B / (N − A·(1 − B)).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

# a bound on the staffing search: far beyond any hotline floor, it only guards against bad input
MAX_AGENTS = 10_000


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability with `agents` servers offered `traffic` Erlangs."""
    if traffic < 0 or agents < 0:
        raise ValueError("traffic and agents must be >= 0")
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a caller has to wait; 1.0 when the agents cannot keep up (A >= N)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(traffic: float, agents: int, aht_s: float, target_t_s: float) -> float:
    """Share of callers answered within `target_t_s` seconds: 1 − C·e^(−(N−A)·t/AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    p_wait = erlang_c(traffic, agents)
    return max(0.0, 1.0 - p_wait * math.exp(-(agents - traffic) * target_t_s / aht_s))


def average_speed_of_answer(traffic: float, agents: int, aht_s: float) -> float:
    """Mean wait over all callers (ASA) in seconds: C·AHT/(N−A); infinite when overloaded."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_s / (agents - traffic)


@dataclass(frozen=True)
class Staffing:
    traffic_erlangs: float
    agents: int          # agents on the phones needed right now
    scheduled: int       # agents to roster once breaks, training, absence (shrinkage) are counted
    service_level: float
    p_wait: float
    asa_s: float
    occupancy: float

    def as_dict(self) -> dict:
        return asdict(self)


def agents_needed(arrival_rate_per_s: float, aht_s: float, target_sl: float, target_t_s: float,
                  max_occupancy: float = 0.85, shrinkage: float = 0.3) -> Staffing:
    """Fewest agents meeting the service level target (e.g. 0.8 within 20 s) and the occupancy cap."""
    _check_inputs(arrival_rate_per_s, aht_s, target_sl, target_t_s, max_occupancy, shrinkage)
    traffic = arrival_rate_per_s * aht_s
    if traffic == 0:
        return Staffing(0.0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    agents = max(1, math.floor(traffic) + 1, math.ceil(traffic / max_occupancy))
    while service_level(traffic, agents, aht_s, target_t_s) < target_sl:
        agents += 1
        if agents > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed for {traffic:.1f} Erlangs")
    return Staffing(
        traffic_erlangs=traffic, agents=agents, scheduled=math.ceil(agents / (1.0 - shrinkage) - 1e-9),
        service_level=service_level(traffic, agents, aht_s, target_t_s),
        p_wait=erlang_c(traffic, agents), asa_s=average_speed_of_answer(traffic, agents, aht_s),
        occupancy=traffic / agents,
    )


def _check_inputs(rate: float, aht_s: float, target_sl: float, target_t_s: float,
                  max_occupancy: float, shrinkage: float) -> None:
    if not (rate >= 0 and math.isfinite(rate)):
        raise ValueError(f"arrival rate must be a finite number >= 0, got {rate!r}")
    if not (aht_s > 0 and math.isfinite(aht_s)):
        raise ValueError(f"average handle time must be > 0 seconds, got {aht_s!r}")
    if not 0 < target_sl < 1:
        raise ValueError(f"target service level must be between 0 and 1 (exclusive), got {target_sl!r}")
    if target_t_s < 0:
        raise ValueError(f"target answer time must be >= 0 seconds, got {target_t_s!r}")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"max occupancy must be in (0, 1], got {max_occupancy!r}")
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
