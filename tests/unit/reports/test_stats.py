"""The alert tests' math against known values."""
import math

from hotline.reports import stats
from hotline.reports.places import default_places


def test_poisson_tail():
    assert math.isclose(stats.poisson_sf(10, 5.0), 0.0318280573, rel_tol=1e-6)
    assert stats.poisson_sf(0, 3.0) == 1.0
    tiny = stats.poisson_sf(6, 0.036)
    assert math.isclose(tiny, 0.036 ** 6 / 720 * math.exp(-0.036), rel_tol=0.01)   # far tail keeps its digits


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
