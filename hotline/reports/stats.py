"""The two tests behind hotspot alerts (docs/decisions.md explains the choice): small, exact math, no SciPy.

spike:   is a count unusually high against its trailing baseline? Anscombe transform a(x) = 2·sqrt(x + 3/8)
         makes Poisson counts roughly normal with variance 1; z = (a(x) − mean a(b)) / (σ·sqrt(1 + 1/n)) with
         σ = max(1, sd of a(b)) (never less noisy than Poisson; more when the baseline itself varies).
cluster: are k callers about one category and place within 48 h unusual? Upper tail P(X ≥ k) of the
         predictive distribution of the pair's calls given its count over the trailing 28 days: Poisson calls
         at a rate that is itself uncertain (Gamma, Jeffreys prior) = negative binomial.
"""
from __future__ import annotations

import math
from statistics import mean, stdev


def anscombe(x: float) -> float:
    return 2.0 * math.sqrt(max(x, 0.0) + 0.375)


def normal_sf(z: float) -> float:
    """P(Z ≥ z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def spike(observed: float, baseline: list[float]) -> tuple[float, float] | None:
    """(z, one-sided p) of `observed` against the baseline periods' counts; None without two baseline values."""
    if len(baseline) < 2:
        return None
    transformed = [anscombe(b) for b in baseline]
    sigma = max(1.0, stdev(transformed))
    z = (anscombe(observed) - mean(transformed)) / (sigma * math.sqrt(1.0 + 1.0 / len(baseline)))
    return z, normal_sf(z)


def negbin_sf(k: int, r: float, q: float) -> float:
    """P(X ≥ k) for X ~ NegBin(r, q): pmf(i) = Γ(r+i)/(Γ(r) i!) q^r (1−q)^i."""
    if k <= 0:
        return 1.0
    term = q ** r
    below = term
    for i in range(1, k):
        term *= (r + i - 1) / i * (1 - q)
        below += term
    if below < 0.999:
        return max(0.0, 1.0 - below)
    term = math.exp(math.lgamma(r + k) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log(q) + k * math.log1p(-q))
    tail, i = 0.0, k
    while term > tail * 1e-17 and i < k + 10_000:
        tail += term
        term *= (r + i) / (i + 1) * (1 - q)
        i += 1
    return tail


def cluster_p(k: int, count: float, baseline_days: int, window_days: float = 2.0) -> tuple[float, float]:
    """(expected, p) of k calls in the window for a pair seen `count` times in `baseline_days`: the rate is
    not known, only estimated, so the test uses the predictive distribution — Gamma(count + ½, days) over the
    rate (Jeffreys prior) mixed with Poisson calls = NegBin(count + ½, days / (days + window))."""
    r, days = count + 0.5, max(1, baseline_days)
    return window_days * r / days, negbin_sf(k, r, days / (days + window_days))
