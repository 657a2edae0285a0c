"""The 150 s measure: call start → dispatch per ticket, counted per line and agent per day (the wallboard's
share within 150 s) and as a per-line histogram since the beginning (/metrics hotline_dispatch_seconds)."""
from __future__ import annotations

import time

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from hotline.core import keys

TARGET_SECONDS = 150
BUCKETS = (30, 60, 90, 120, 150, 180, 240, 300, 600)
DAY_TTL = 40 * 86400


def day_of(at: float) -> str:
    """The local calendar day, as ticket numbers count them (YYYYMMDD)."""
    return time.strftime("%Y%m%d", time.localtime(at))


async def record(redis, line: str, agent: str, seconds: float, at: float) -> None:
    """Count one dispatch (its call start → dispatch time) for its line and agent."""
    day_key, ok = keys.DISPATCH_DAY(day=day_of(at)), int(seconds <= TARGET_SECONDS)
    async with redis.pipeline(transaction=True) as pipe:
        for scope in (f"line:{line or '-'}", f"agent:{agent or '-'}"):
            pipe.hincrby(day_key, f"{scope}:n", 1)
            pipe.hincrby(day_key, f"{scope}:ok", ok)
            pipe.hincrbyfloat(day_key, f"{scope}:sum", round(seconds, 3))
        pipe.expire(day_key, DAY_TTL)
        hist, prefix = keys.DISPATCH_HISTOGRAM(), line or "-"
        for bound in BUCKETS:
            if seconds <= bound:
                pipe.hincrby(hist, f"{prefix}:le:{bound}", 1)
        pipe.hincrby(hist, f"{prefix}:count", 1)
        pipe.hincrbyfloat(hist, f"{prefix}:sum", round(seconds, 3))
        await pipe.execute()


def _rows(fields: dict, kind: str) -> list[dict]:
    names = sorted({f.split(":")[1] for f in fields if f.startswith(kind + ":")})
    rows = []
    for name in names:
        n, ok = int(fields.get(f"{kind}:{name}:n", 0)), int(fields.get(f"{kind}:{name}:ok", 0))
        total = float(fields.get(f"{kind}:{name}:sum", 0))
        rows.append({kind: name, "dispatched": n, "within_target": ok, "share": round(ok / n, 4) if n else None,
                     "mean_seconds": round(total / n, 1) if n else None})
    return rows


async def day_stats(redis, day: str | None = None) -> dict:
    """One day's dispatches per line and per agent: how many, how many within 150 s, the share, the mean."""
    day = day or day_of(time.time())
    fields = await redis.hgetall(keys.DISPATCH_DAY(day=day))
    return {"day": day, "target_seconds": TARGET_SECONDS, "lines": _rows(fields, "line"),
            "agents": _rows(fields, "agent")}


class DispatchCollector:
    """/metrics: hotline_dispatch_seconds (histogram per line, since the beginning) and today's share within
    150 s per line and per agent. Built from a snapshot read before the scrape is rendered."""

    def __init__(self, histogram: dict, today: dict) -> None:
        self.histogram, self.today = histogram, today

    @classmethod
    async def snapshot(cls, redis) -> "DispatchCollector":
        return cls(await redis.hgetall(keys.DISPATCH_HISTOGRAM()), await day_stats(redis))

    def collect(self):
        hist = HistogramMetricFamily("hotline_dispatch_seconds", "Call start to dispatch (派单), per line",
                                     labels=["line"])
        for line in sorted({f.split(":")[0] for f in self.histogram}):
            buckets = [(str(float(b)), float(self.histogram.get(f"{line}:le:{b}", 0))) for b in BUCKETS]
            count = float(self.histogram.get(f"{line}:count", 0))
            hist.add_metric([line], buckets + [("+Inf", count)], float(self.histogram.get(f"{line}:sum", 0)))
        yield hist
        for kind, name in (("line", "hotline_dispatch_within_150s_ratio"),
                           ("agent", "hotline_agent_dispatch_within_150s_ratio")):
            gauge = GaugeMetricFamily(name, f"Today's dispatches within 150 s of the call start, per {kind}",
                                      labels=[kind])
            count = GaugeMetricFamily(f"hotline_{kind}_dispatches_today" if kind == "agent"
                                      else "hotline_dispatches_today", f"Today's dispatches, per {kind}",
                                      labels=[kind])
            for row in self.today[kind + "s"]:
                if row["share"] is not None:
                    gauge.add_metric([row[kind]], row["share"])
                count.add_metric([row[kind]], row["dispatched"])
            yield gauge
            yield count
