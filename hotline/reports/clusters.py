"""同诉: clusters of the same issue — one category, one place, at least MIN_CALLERS different callers within
48 hours — kept when the test says so many calls are unlikely for that pair (hotline/reports/stats.py).

Reads the facts of the period and the 2 days before it (a window ending in the period is seen whole) and the
per-pair counts of the BASELINE_DAYS before that. The p-value is compared with ALPHA split over every pair
(each category seen × each place of the gazetteer) and every 48-hour window the scan covers (Bonferroni), so a
flat history raises nothing.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

from hotline.core import keys
from hotline.reports import stats
from hotline.reports.places import Places

WINDOW_S = 48 * 3600
MIN_CALLERS = 3
BASELINE_DAYS = 28
MIN_BASELINE_DAYS = 7
ALPHA = 0.01
IDS_SHOWN = 20


def _days(start: dt.date, end: dt.date) -> list[str]:
    return [(start + dt.timedelta(days=i)).strftime("%Y%m%d") for i in range((end - start).days + 1)]


async def _read(redis, name, days: list[str]) -> list[dict]:
    pipe = redis.pipeline(transaction=False)
    for day in days:
        pipe.hgetall(name(day=day))
    return await pipe.execute()


def densest(calls: list[tuple[float, str, str]], since: float) -> tuple[int, list]:
    """Most distinct callers in any 48 h window that ends at or after `since`, and that window's calls.
    `calls`: (time, caller, ticket id) sorted by time."""
    best, best_window, lo = 0, [], 0
    callers: Counter = Counter()
    for hi, (t, caller, _) in enumerate(calls):
        callers[caller] += 1
        while calls[lo][0] < t - WINDOW_S:
            callers[calls[lo][1]] -= 1
            if not callers[calls[lo][1]]:
                del callers[calls[lo][1]]
            lo += 1
        if t >= since and len(callers) > best:
            best, best_window = len(callers), calls[lo:hi + 1]
    return best, best_window


async def find(redis, start: dt.date, end: dt.date, places: Places) -> list[dict]:
    scan_start = start - dt.timedelta(days=2)
    since = dt.datetime.combine(start, dt.time()).timestamp()
    by_pair: dict[tuple[str, str], list] = defaultdict(list)
    for row in await _read(redis, keys.REPORT_FACTS, _days(scan_start, end)):
        for ticket_id, text in row.items():
            fact = json.loads(text)
            if fact.get("p") and fact.get("c"):
                by_pair[(fact["c"], fact["p"])].append((fact["t"], fact["k"], ticket_id))
    windows = max(1.0, ((end - start).days + 1) / 2)   # independent 48 h windows the scan looks at
    threshold = ALPHA / (_family(by_pair, places) * windows)
    # fewest callers that could pass at all (a pair never seen before: its p is the smallest possible)
    needed = next(k for k in range(MIN_CALLERS, 1000) if stats.cluster_p(k, 0, BASELINE_DAYS)[1] < threshold)
    candidates = []
    for pair, calls in by_pair.items():
        if len(calls) >= needed:
            calls.sort()
            k, window = densest(calls, since)
            if k >= needed:
                candidates.append((pair, k, window))
    if not candidates:
        return []
    rates = await _baseline(redis, scan_start, end, candidates)
    found = []
    for (category, place), k, window in candidates:
        seen = rates(category, place, dt.date.fromtimestamp(window[0][0]))
        if seen is None:
            continue
        lam, p = stats.cluster_p(k, *seen)
        if p < threshold:
            found.append(_describe(category, place, k, window, lam, p, places))
    return sorted(found, key=lambda c: c["p"])


def _family(by_pair: dict, places: Places) -> int:
    """How many (category, place) pairs the test looks at: every category seen at every place of the gazetteer
    (a pair without calls is tested too: it just passes), plus the unknown places seen."""
    categories = {c for c, _ in by_pair}
    unknown = sum(1 for _, p in by_pair if p not in places.by_name)
    return max(1, len(categories) * len(places.by_name) + unknown)


async def _baseline(redis, scan_start: dt.date, end: dt.date, candidates):
    """rate(category, place, first day of the window) -> (count, days): the pair's calls over the BASELINE_DAYS
    before that day (days with history only) — its own count, or what the category's and the place's counts
    predict together if that is more; None with fewer than MIN_BASELINE_DAYS days of history."""
    first = scan_start - dt.timedelta(days=BASELINE_DAYS)
    days = _days(first, end)
    pairs = [f"{c}|{p}" for (c, p), _, _ in candidates]
    fields = ["total"] + sorted({f"category:{c}" for (c, _), _, _ in candidates} |
                                {f"place:{p}" for (_, p), _, _ in candidates})
    pipe = redis.pipeline(transaction=False)
    for day in days:
        pipe.hmget(keys.REPORT_PAIRS(day=day), pairs)
        pipe.hmget(keys.REPORT_DAY(day=day), fields)
    rows = await pipe.execute()
    per_day = {}
    for i, day in enumerate(days):
        pair_row, day_row = rows[2 * i], rows[2 * i + 1]
        per_day[day] = (dict(zip(pairs, (int(v or 0) for v in pair_row))),
                        dict(zip(fields, (int(v or 0) for v in day_row))))

    spans: dict[dt.date, list] = {}

    def rate(category: str, place: str, window_start: dt.date) -> tuple[float, int] | None:
        if window_start not in spans:
            span = _days(window_start - dt.timedelta(days=BASELINE_DAYS), window_start - dt.timedelta(days=1))
            spans[window_start] = [per_day[d] for d in span if d in per_day and per_day[d][1]["total"]]
        seen = spans[window_start]
        if len(seen) < MIN_BASELINE_DAYS:
            return None
        pair = sum(p.get(f"{category}|{place}", 0) for p, _ in seen)
        cat = sum(c.get(f"category:{category}", 0) for _, c in seen)
        where = sum(c.get(f"place:{place}", 0) for _, c in seen)
        total = sum(c["total"] for _, c in seen)
        return max(pair, cat * where / total if total else 0.0), len(seen)
    return rate


def _describe(category, place, k, window, lam, p, places: Places) -> dict:
    known = places.by_name.get(place)
    return {"category": category, "place": place, "district": known.district if known else "",
            "street": known.street if known else "", "callers": k, "tickets": len(window),
            "first": window[0][0], "last": window[-1][0], "expected": round(lam, 3), "p": p,
            "ticket_ids": [w[2] for w in window][:IDS_SHOWN]}
