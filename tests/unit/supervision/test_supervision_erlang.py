"""Erlang C against exact rational arithmetic and published worked examples."""
from fractions import Fraction
from math import exp, factorial

import pytest

from hotline.supervision.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    service_level,
)


def exact_erlang_c(traffic: Fraction, agents: int) -> Fraction:
    """Textbook closed form, computed exactly with fractions (independent of the recursion)."""
    top = traffic ** agents / factorial(agents) * Fraction(agents) / (agents - traffic)
    bottom = sum(traffic ** k / factorial(k) for k in range(agents)) + top
    return top / bottom


@pytest.mark.parametrize("traffic,agents", [(Fraction(10), n) for n in range(11, 16)]
                         + [(Fraction(48), 55), (Fraction(1, 3), 1), (Fraction(275, 12), 28), (Fraction(200), 230)])
def test_erlang_c_matches_exact_closed_form(traffic, agents):
    assert erlang_c(float(traffic), agents) == pytest.approx(float(exact_erlang_c(traffic, agents)), rel=1e-12)


def test_erlang_b_known_value():
    # B(A=1, N=1) = 1/2; B(2, 2) = 2/5 (A^N/N! / sum A^k/k!)
    assert erlang_b(1, 1) == pytest.approx(0.5)
    assert erlang_b(2, 2) == pytest.approx(0.4)


def test_call_centre_example_10_erlangs():
    """100 calls per 30 min, AHT 180 s (10 Erlangs), target 80 % in 20 s — the common calculator example:
    13 agents → P(wait) ≈ 28.5 %, SL ≈ 79.6 %; 14 agents → P(wait) ≈ 17.4 %, SL ≈ 88.8 %, ASA ≈ 7.8 s."""
    assert erlang_c(10, 13) == pytest.approx(0.2853, abs=1e-4)
    assert service_level(10, 13, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert erlang_c(10, 14) == pytest.approx(0.1741, abs=1e-4)
    assert service_level(10, 14, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert average_speed_of_answer(10, 14, 180) == pytest.approx(7.84, abs=0.01)
    staffing = agents_needed(100 / 1800, 180, 0.8, 20, max_occupancy=1.0, shrinkage=0.0)
    assert staffing.agents == 14


def test_westbay_worked_example_48_erlangs():
    """360 calls per half hour, 4 min calls, 55 agents, 15 s target (Westbay Engineers' Erlang-C walk-through)."""
    exact = float(exact_erlang_c(Fraction(48), 55))
    assert erlang_c(48, 55) == pytest.approx(exact)
    assert average_speed_of_answer(48, 55, 240) == pytest.approx(exact * 240 / 7)
    assert service_level(48, 55, 240, 15) == pytest.approx(1 - exact * exp(-7 * 15 / 240))
    assert service_level(48, 55, 240, 15) == pytest.approx(0.846, abs=1e-3)


def test_published_staffing_example_250_calls_per_hour():
    """jonesthenet.com "Erlang uplift": 250 calls/h, AHT 330 s, 80 % in 30 s → Erlang says 28 advisors."""
    assert agents_needed(250 / 3600, 330, 0.8, 30, max_occupancy=1.0, shrinkage=0.0).agents == 28


def test_occupancy_cap_and_shrinkage():
    # 10 Erlangs with an 85 % cap needs ceil(10/0.85) = 12 for occupancy but 14 for 80/20 → 14
    s = agents_needed(100 / 1800, 180, 0.8, 20)
    assert s.agents == 14 and s.occupancy <= 0.85
    assert s.scheduled == 20  # ceil(14 / 0.7)
    # a loose SL target: the occupancy cap decides
    loose = agents_needed(100 / 1800, 180, 0.2, 20, max_occupancy=0.7, shrinkage=0.0)
    assert loose.agents == 15 and loose.occupancy <= 0.7


def test_large_traffic_is_stable():
    s = agents_needed(1000 / 3600 * 10, 300, 0.8, 20)
    assert 833 < s.agents < 1000 and 0.0 <= s.p_wait <= 1.0


def test_edge_cases():
    assert agents_needed(0, 180, 0.8, 20).agents == 0
    assert erlang_c(5, 5) == 1.0 and service_level(5, 4, 180, 20) == 0.0
    assert average_speed_of_answer(5, 5, 180) == float("inf")
    for bad in [dict(arrival_rate_per_s=-1), dict(aht_s=0), dict(target_sl=1.0), dict(shrinkage=1.0),
                dict(max_occupancy=0), dict(arrival_rate_per_s=float("nan"))]:
        args = dict(arrival_rate_per_s=0.1, aht_s=180, target_sl=0.8, target_t_s=20) | bad
        with pytest.raises(ValueError):
            agents_needed(**args)
