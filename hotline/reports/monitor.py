"""Hotspot alerts: every few minutes, today's report (so far) is checked for new 同诉 clusters and category
spikes; each one found is announced once to the supervisors (through the supervision feature's alerts)."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from hotline.core import keys
from hotline.core.logging import log_event
from hotline.reports import hotspots

log = logging.getLogger("hotline.reports.monitor")
INTERVAL_S = 300
KEEP_S = {"cluster": 2 * 86400, "spike": 7 * 86400}   # how long an announced alert id is remembered


def alerts_of(report: dict, now: float) -> list[dict]:
    out = []
    for c in report["clusters"]:
        where = c["place"] + (f"（{c['district']}{c['street']}）" if c["district"] else "")
        out.append({"alert_id": f"hotspot:cluster:{c['category']}|{c['place']}",
                    "kind": "hotspot_cluster", "queue": "", "severity": "warning", "at": now, "label": "热点分析",
                    "message": f"【同诉】{c['category']} · {where} 48小时内 {c['callers']} 位来电人"
                               f"（期望 {c['expected']}，p={c['p']:.1e}）", "cluster": c})
    for s in report["spikes"]:
        out.append({"alert_id": f"hotspot:spike:{s['name']}:{report['date']}", "kind": "hotspot_spike", "queue": "",
                    "severity": "warning", "at": now, "label": "热点分析",
                    "message": f"【突增】{s['name']} 今日 {s['count']} 件（基线 {s['baseline']}，p={s['p']:.1e}）",
                    "spike": s})
    return out


class HotspotMonitor:
    def __init__(self, redis, announce: Callable[[dict], Awaitable[dict]], spawn, interval: float = INTERVAL_S,
                 clock=time.time) -> None:
        self.redis, self.announce, self.spawn, self.interval, self.clock = redis, announce, spawn, interval, clock

    async def start(self) -> None:
        self.spawn(self._loop(), name="hotspot monitor")

    async def stop(self) -> None:
        return None

    async def check(self, now: float | None = None) -> list[dict]:
        """Announce what today's report finds that was not announced before; returns what was announced."""
        now = self.clock() if now is None else now
        await self._forget(now)
        report = await hotspots.hotspots(self.redis, "day", dt.date.fromtimestamp(now), now=now)
        announced = []
        for alert in alerts_of(report, now):
            if await self.redis.hsetnx(keys.REPORT_ALERTED(), alert["alert_id"], str(now)):
                announced.append(await self.announce(alert))
        return announced

    async def _forget(self, now: float) -> None:
        """A cluster at the same place is news again 48 h after it was announced; a spike's id holds its day."""
        seen = await self.redis.hgetall(keys.REPORT_ALERTED())
        old = [k for k, v in seen.items() if now - float(v) > KEEP_S.get(k.split(":")[1], KEEP_S["spike"])]
        if old:
            await self.redis.hdel(keys.REPORT_ALERTED(), *old)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except (RedisError, OSError, ValueError) as exc:   # try again next round; never stop the controller
                log_event(log, "hotspot check failed", logging.WARNING, error=repr(exc)[:200])
