"""满意率 counters: one Redis hash per day (in survey_timezone), fields `source|scope|field`.

source: `call` (the survey at the end of the call) or `followup` (the 回访); scope: `all`, `line:<line>`,
`agent:<agent>` (followups count per line and overall); field: `offered` (the caller heard the question),
`1`, `2`, `3`, `none`.
满意率 = (1 + 2) / rated and 参评率 = rated / offered, where rated = 1 + 2 + 3 (docs/decisions.md).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hotline.core import keys

RETENTION_SECONDS = 400 * 24 * 3600
SOURCES = ("call", "followup")
FIELDS = ("offered", "1", "2", "3", "none")


def day_of(epoch: float, timezone: str) -> str:
    return dt.datetime.fromtimestamp(epoch, ZoneInfo(timezone)).strftime("%Y%m%d")


def scopes(line: str | None, agent: str | None) -> list[str]:
    return ["all"] + ([f"line:{line}"] if line else []) + ([f"agent:{agent}"] if agent else [])


async def count(redis, *, source: str, answer: str, line: str | None, agent: str | None, at: float,
                timezone: str) -> None:
    """One survey asked and answered ("none": asked, no key) in every scope it belongs to."""
    key = keys.SURVEY_STATS(day=day_of(at, timezone))
    async with redis.pipeline(transaction=True) as pipe:
        for scope in scopes(line, agent):
            pipe.hincrby(key, f"{source}|{scope}|offered", 1)
            pipe.hincrby(key, f"{source}|{scope}|{answer}", 1)
        pipe.expire(key, RETENTION_SECONDS)
        await pipe.execute()


def rates(counts: dict[str, int]) -> dict:
    """Counts of one scope → the counts plus rated, 满意率 and 参评率 (percent, None when nothing to divide)."""
    c = {f: int(counts.get(f, 0)) for f in FIELDS}
    rated = c["1"] + c["2"] + c["3"]
    return {"offered": c["offered"], "satisfied": c["1"], "basically_satisfied": c["2"], "unsatisfied": c["3"],
            "no_answer": c["none"], "rated": rated,
            "satisfaction_rate": round(100 * (c["1"] + c["2"]) / rated, 1) if rated else None,
            "participation_rate": round(100 * rated / c["offered"], 1) if c["offered"] else None}


def group(raw: dict[str, str]) -> dict:
    """Hash fields → {source: {scope: rates}}."""
    nested: dict[str, dict[str, dict[str, int]]] = {}
    for name, value in raw.items():
        source, _, rest = name.partition("|")
        scope, _, field = rest.rpartition("|")
        if source in SOURCES and field in FIELDS and scope:
            nested.setdefault(source, {}).setdefault(scope, {})[field] = int(value)
    return {source: {scope: rates(c) for scope, c in sorted(by_scope.items())}
            for source, by_scope in nested.items()}


def _split(by_scope: dict) -> dict:
    out: dict = {"all": by_scope.get("all", rates({})), "lines": {}, "agents": {}}
    for scope, value in by_scope.items():
        kind, _, name = scope.partition(":")
        if kind == "line":
            out["lines"][name] = value
        elif kind == "agent":
            out["agents"][name] = value
    return out


async def report(redis, *, now: float, days: int, timezone: str) -> dict:
    """The last `days` days (today first) and their sum, per source: overall, per line, per agent."""
    names = [day_of(now - n * 86400, timezone) for n in range(days)]
    raws = [await redis.hgetall(keys.SURVEY_STATS(day=day)) for day in names]
    total: dict[str, int] = {}
    for raw in raws:
        for name, value in raw.items():
            total[name] = total.get(name, 0) + int(value)
    grouped_total = group({k: str(v) for k, v in total.items()})
    return {
        "definitions": {"satisfaction_rate": "(1 满意 + 2 基本满意) / rated, percent",
                        "participation_rate": "rated / offered, percent", "rated": "keys 1, 2 or 3"},
        "days": [{"day": day, **{s: _split(group(raw).get(s, {})) for s in SOURCES}} for day, raw in zip(names, raws)],
        "total": {s: _split(grouped_total.get(s, {})) for s in SOURCES},
    }
