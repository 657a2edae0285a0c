"""Hotspot reports on generated history: the injected cluster and spike are found, a flat history raises
nothing, and the generator's bulk path counts exactly like live ticket writes."""
from __future__ import annotations

import datetime as dt

import pytest

from hotline.core import keys
from hotline.reports import export, generate, hotspots
from hotline.reports.generate import Cluster, Profile, Spike
from hotline.tickets import store

END = dt.date.today() - dt.timedelta(days=10)


async def _aggregates(redis) -> dict:
    out = {}
    for pattern in (keys.REPORT_DAY, keys.REPORT_PAIRS, keys.REPORT_FACTS):
        async for key in redis.scan_iter(match=pattern(day="*")):
            out[key] = await redis.hgetall(key)
    return out


async def test_injected_cluster_and_spike_are_found(unit_redis):
    profile = Profile(days=35, per_day=150, seed=11, end=END,
                      clusters=[Cluster("燃气", "金桂苑", END - dt.timedelta(days=1), callers=7)],
                      spikes=[Spike("物业", END, 3.0)])
    await generate.write(unit_redis, generate.history(profile))

    day = await hotspots.hotspots(unit_redis, "day", END)
    assert [s["name"] for s in day["spikes"]] == ["物业"]
    assert [(c["category"], c["place"], c["district"]) for c in day["clusters"]] == [("燃气", "金桂苑", "东湖区")]
    assert day["clusters"][0]["callers"] == 7
    assert day["total"]["count"] == sum(p["count"] for p in day["series"])
    week = await hotspots.hotspots(unit_redis, "week", END)
    assert [(c["category"], c["place"]) for c in week["clusters"]] == [("燃气", "金桂苑")]
    assert week["baseline_periods"] == 4 and week["complete"]
    # two days on, the cluster is no longer new: not reported again
    later = await hotspots.hotspots(unit_redis, "day", END + dt.timedelta(days=2))
    assert later["clusters"] == [] and later["total"]["count"] == 0

    text = export.to_csv(day)
    assert text.startswith("\ufeff") and "同诉,燃气,金桂苑,东湖区" in text and "类别,物业" in text


async def test_a_flat_history_raises_nothing(unit_redis):
    await generate.write(unit_redis, generate.history(Profile(days=35, per_day=150, seed=5, end=END, flat=True)))
    for period, day in [("day", END - dt.timedelta(days=i)) for i in range(7)] + [("week", END), ("month", END)]:
        report = await hotspots.hotspots(unit_redis, period, day)
        assert report["total"]["count"] > 0
        assert report["spikes"] == [] and report["clusters"] == [], (period, day)


async def test_bulk_generation_counts_like_live_ticket_writes(unit_redis):
    profile = Profile(days=3, per_day=40, seed=3, end=END,
                      clusters=[Cluster("供暖", "阳光花园", END, callers=4)])
    await generate.write(unit_redis, generate.history(profile), batch=25)
    bulk = await _aggregates(unit_redis)
    await unit_redis.flushdb()
    for ticket in generate.history(profile):
        await store.create_once(unit_redis, ticket)
    assert await _aggregates(unit_redis) == bulk
    assert sum(int(h.get("total", 0)) for k, h in bulk.items() if k.startswith("hotline:report:day:")) > 100


async def test_a_reclassified_ticket_moves_between_categories(unit_redis):
    ticket = next(generate.history(Profile(days=1, per_day=5, seed=2, end=END)))
    ticket_id, _ = await store.create_once(unit_redis, ticket)
    day_key = keys.REPORT_DAY(day=ticket_id[1:9])
    before = await unit_redis.hgetall(day_key)
    assert before[f"category:{ticket.category}"] == "1"

    def reclassify(t):
        t.category, t.location_hints = "教育", ["春晖中学3号楼"]
        return "updated"
    await store.mutate(unit_redis, ticket_id, reclassify)
    after = await unit_redis.hgetall(day_key)
    assert f"category:{ticket.category}" not in after or ticket.category == "教育"
    assert after["category:教育"] == "1" and after["place:春晖中学"] == "1" and after["district:东湖区"] == "1"
    assert after["total"] == "1"
    loaded = await store.load(unit_redis, ticket_id)   # generated tickets validate like any other
    assert loaded.category == "教育"


@pytest.mark.parametrize("period,day,expected", [
    ("day", dt.date(2026, 3, 4), ("2026-03-04", "2026-03-04")),
    ("week", dt.date(2026, 3, 4), ("2026-03-02", "2026-03-08")),
    ("month", dt.date(2026, 2, 14), ("2026-02-01", "2026-02-28")),
])
def test_period_bounds(period, day, expected):
    assert tuple(d.isoformat() for d in hotspots.bounds(period, day)) == expected
    assert hotspots.earlier("month", dt.date(2026, 3, 1), 4)[0] == dt.date(2025, 11, 1)
    assert hotspots.earlier("day", dt.date(2026, 3, 4), 0)[0] == dt.date(2026, 3, 3)
    assert hotspots.earlier("day", dt.date(2026, 3, 4), 2)[0] == dt.date(2026, 2, 18)


async def test_the_monitor_announces_a_new_cluster_and_spike_once(unit_redis):
    from hotline.reports.monitor import HotspotMonitor

    today = dt.date.today()
    profile = Profile(days=30, per_day=150, seed=13, end=today, flat=True,
                      clusters=[Cluster("供水/排水", "翠屏山庄", today, callers=8, hours=0.5)],
                      spikes=[Spike("噪声/油烟", today, 4.0)])
    await generate.write(unit_redis, generate.history(profile))
    heard = []

    async def announce(alert):
        heard.append(alert)
        return alert
    monitor = HotspotMonitor(unit_redis, announce, spawn=None)
    now = dt.datetime.combine(today, dt.time(23, 59)).timestamp()
    await monitor.check(now)
    assert sorted(a["kind"] for a in heard) == ["hotspot_cluster", "hotspot_spike"]
    assert any("翠屏山庄" in a["message"] and "同诉" in a["message"] for a in heard)
    await monitor.check(now + 60)
    assert len(heard) == 2
