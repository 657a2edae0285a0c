"""Daily, weekly and monthly hotspot reports (热点分析) from the per-day aggregates (hotline/reports/facts.py).

A report reads one hash per day of the period, of the previous period and of the trailing baseline (the same
weekday of the 4 previous weeks for a day; the 4 previous weeks or months otherwise), and, for clusters, the
facts of the period and the 2 days before it. Nothing scans the tickets themselves.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

from hotline.core import keys
from hotline.reports import clusters, stats
from hotline.reports.places import Places, default_places

PERIODS = ("day", "week", "month")
DIMENSIONS = ("line", "category", "district", "place")
TESTED = ("line", "category", "district")   # rows with a spike test (alerts: category)
BASELINE_PERIODS = 4
TOP_PLACES = 10
ALPHA = 0.01   # family-wise: split over the rows of a dimension (Bonferroni)


def bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period that holds `day` (weeks start on Monday)."""
    if period == "day":
        return day, day
    if period == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if period == "month":
        start = day.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    raise ValueError(f"period must be one of {PERIODS}, not {period!r}")


def earlier(period: str, start: dt.date, n: int) -> tuple[dt.date, dt.date]:
    """The n-th period before the one starting at `start`; n=0: the previous one (for a day: yesterday; the
    day's baseline, n ≥ 1: the same weekday n weeks back, so the weekly rhythm is not taken for a spike)."""
    if period == "day":
        return bounds("day", start - dt.timedelta(days=1 if n == 0 else 7 * n))
    if period == "week":
        return bounds("week", start - dt.timedelta(days=7 * max(n, 1)))
    month = start
    for _ in range(max(n, 1)):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return bounds("month", month)


def days_of(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def dkey(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


async def read_days(redis, days: list[dt.date]) -> dict[dt.date, dict[str, int]]:
    pipe = redis.pipeline(transaction=False)
    for day in days:
        pipe.hgetall(keys.REPORT_DAY(day=dkey(day)))
    rows = await pipe.execute()
    return {day: {k: int(v) for k, v in row.items()} for day, row in zip(days, rows)}


def _sum(counts: dict[dt.date, dict[str, int]], days: list[dt.date]) -> Counter:
    total: Counter = Counter()
    for day in days:
        total.update(counts.get(day, {}))
    return total


def _elapsed_share(period: str, start: dt.date, end: dt.date, now: float, hours: Counter) -> float:
    """How much of the period's usual volume has come in by `now` (1 for a finished period)."""
    today = dt.date.fromtimestamp(now)
    if today > end:
        return 1.0
    if today < start:
        return 0.0
    clock = time.localtime(now)
    per_hour = [hours.get(f"hour:{h:02d}", 0) for h in range(24)]
    day_total = sum(per_hour) or 1
    today_share = (sum(per_hour[:clock.tm_hour]) + per_hour[clock.tm_hour] * clock.tm_min / 60) / day_total
    if sum(per_hour) == 0:
        today_share = (clock.tm_hour + clock.tm_min / 60) / 24
    full_days = (today - start).days
    return (full_days + today_share) / len(days_of(start, end))


def _row(name: str, count: int, previous: int, baseline: list[float]) -> dict:
    base = sum(baseline) / len(baseline) if baseline else None
    row = {"name": name, "count": count, "previous": previous, "change": count - previous,
           "change_pct": round(100 * (count - previous) / previous, 1) if previous else None,
           "baseline": round(base, 1) if base is not None else None, "z": None, "p": None, "spike": False}
    tested = stats.spike(count, baseline)
    if tested is not None:
        row["z"], row["p"] = round(tested[0], 2), tested[1]
    return row


def _dimension(dim: str, current: Counter, previous: Counter, baselines: list[Counter], scale: float) -> list[dict]:
    prefix = dim + ":"
    names = {k[len(prefix):] for c in (current, previous) for k in c if k.startswith(prefix)}
    rows = [_row(n, current.get(prefix + n, 0), previous.get(prefix + n, 0),
                 [b.get(prefix + n, 0) * scale for b in baselines]) for n in names]
    if dim in TESTED:
        tested = [r for r in rows if r["p"] is not None]
        for r in tested:
            r["spike"] = r["p"] < ALPHA / len(tested) and r["count"] > (r["baseline"] or 0)
    return sorted(rows, key=lambda r: (-r["count"], r["name"]))


def _series(period: str, counts: dict, days: list[dt.date]) -> list[dict]:
    if period == "day":
        row = counts.get(days[0], {})
        return [{"label": f"{h:02d}时", "count": row.get(f"hour:{h:02d}", 0)} for h in range(24)]
    return [{"label": d.strftime("%m-%d"), "count": counts.get(d, {}).get("total", 0)} for d in days]


async def hotspots(redis, period: str, day: dt.date, now: float | None = None, places: Places | None = None,
                   line_labels: dict[str, str] | None = None, with_clusters: bool = True) -> dict:
    """The report of the `period` holding `day`: totals, breakdowns with change and baseline, top places,
    category spikes and same-issue clusters (see hotline/reports/stats.py for the tests). Line rows carry
    `label` from `line_labels` (the line catalogue) when given."""
    now = time.time() if now is None else now
    places = places or default_places()
    start, end = bounds(period, day)
    prev = earlier(period, start, 0)
    bases = [earlier(period, start, n) for n in range(1, BASELINE_PERIODS + 1)]
    wanted = sorted({d for s, e in [(start, end), prev, *bases] for d in days_of(s, e)})
    counts = await read_days(redis, wanted)
    current, previous = _sum(counts, days_of(start, end)), _sum(counts, days_of(*prev))
    baselines = [c for c in (_sum(counts, days_of(s, e)) for s, e in bases) if c.get("total")]  # history only
    scale = _elapsed_share(period, start, end, now, sum(baselines, Counter()))
    report = {"period": period, "date": day.isoformat(), "start": start.isoformat(), "end": end.isoformat(),
              "generated_at": now, "complete": scale >= 1.0, "elapsed_share": round(scale, 3),
              "baseline_periods": len(baselines), "alpha": ALPHA,
              "total": _row("合计", current.get("total", 0), previous.get("total", 0),
                            [b.get("total", 0) * scale for b in baselines]),
              "series": _series(period, counts, days_of(start, end))}
    report["dimensions"] = {dim: _dimension(dim, current, previous, baselines, scale) for dim in DIMENSIONS}
    for row in report["dimensions"]["line"]:
        row["label"] = (line_labels or {}).get(row["name"], row["name"])
    report["top_places"] = [_place_row(r, places) for r in report["dimensions"]["place"][:TOP_PLACES]]
    report["spikes"] = [r for r in report["dimensions"]["category"] if r["spike"]]
    report["clusters"] = await clusters.find(redis, start, end, places) if with_clusters else []
    return report


def _place_row(row: dict, places: Places) -> dict:
    known = places.by_name.get(row["name"])
    return row | {"district": known.district if known else "", "street": known.street if known else ""}


def dumps(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False)
