"""The two tests behind hotspot alerts (docs/decisions.md explains the choice): small, exact math, no SciPy.

spike:   is a count unusually high against its trailing baseline? Anscombe transform a(x) = 2·sqrt(x + 3/8)
         makes Poisson counts roughly normal with variance 1; z = (a(x) − mean a(b)) / (σ·sqrt(1 + 1/n)) with
         σ = max(1, sd of a(b)) (never less noisy than Poisson; more when the baseline itself varies).
cluster: are k callers about one category and place within 48 h unusual? Poisson upper tail P(X ≥ k) with the
         pair's own rate over the trailing 28 days (plus half a call, so a pair never seen is not "impossible").
"""
from __future__ import annotations

import math
from statistics import mean, stdev


def anscombe(x: float) -> float:
    return 2.0 * math.sqrt(max(x, 0.0) + 0.375)


def normal_sf(z: float) -> float:
    """P(Z ≥ z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), summed from the lower side in log space (no overflow for large k)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    if below < 0.999:
        return max(0.0, 1.0 - below)
    # the tail is tiny: add its terms directly (1 − below would lose the digits)
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))
    tail, i = 0.0, k
    while term > tail * 1e-17 and i < k + 10_000:
        tail += term
        i += 1
        term *= lam / i
    return tail


def spike(observed: float, baseline: list[float]) -> tuple[float, float] | None:
    """(z, one-sided p) of `observed` against the baseline periods' counts; None without two baseline values."""
    if len(baseline) < 2:
        return None
    transformed = [anscombe(b) for b in baseline]
    sigma = max(1.0, stdev(transformed))
    z = (anscombe(observed) - mean(transformed)) / (sigma * math.sqrt(1.0 + 1.0 / len(baseline)))
    return z, normal_sf(z)


def cluster_rate(pair_count: int, baseline_days: int, window_days: float = 2.0) -> float:
    """Expected tickets of a (category, place) pair in the window, from its count over the baseline days."""
    return window_days * (pair_count + 0.5) / max(1, baseline_days)
