"""The alert tests' math against known values."""
import math

from hotline.reports import stats
from hotline.reports.places import default_places


def test_negative_binomial_tail_and_the_cluster_test():
    r, q = 2.5, 0.9
    pmf = [math.exp(math.lgamma(r + i) - math.lgamma(r) - math.lgamma(i + 1)) * q ** r * (1 - q) ** i for i in range(400)]
    assert math.isclose(stats.negbin_sf(3, r, q), sum(pmf[3:]), rel_tol=1e-9)
    assert math.isclose(stats.negbin_sf(30, r, q), sum(pmf[30:]), rel_tol=1e-9)   # far tail keeps its digits
    assert stats.negbin_sf(0, r, q) == 1.0
    expected, p3 = stats.cluster_p(3, 0, 28)   # a pair never seen: 3 callers are unusual, 7 far more so
    assert math.isclose(expected, 2 * 0.5 / 28) and 1e-5 < p3 < 1e-3
    assert stats.cluster_p(7, 0, 28)[1] < 1e-8
    assert stats.cluster_p(7, 40, 28)[1] > 0.01   # a pair with ~3 calls every 2 days: 7 is not news


def test_spike_needs_a_baseline_and_flags_only_high_counts():
    assert stats.spike(50, [20]) is None
    z, p = stats.spike(60, [20, 22, 19, 21])
    assert z > 5 and p < 1e-6
    z, p = stats.spike(21, [20, 22, 19, 21])
    assert p > 0.2
    assert stats.spike(5, [20, 22, 19, 21])[1] > 0.99


def test_places_resolve_hints_and_addresses():
    places = default_places()
    assert places.resolve(["阳光花园小区3号楼"]).district == "东湖区"
    assert places.resolve([], "西山区枫林街道某处").street == "枫林街道"
    unknown = places.resolve(["某某|路:口"])
    assert unknown.district == "" and unknown.name == "某某 路 口"
    assert places.resolve([], "") is None
