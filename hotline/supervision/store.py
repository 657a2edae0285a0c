"""Redis persistence: active alerts (hash), alert history (stream), per-minute queue history (lists)."""
from __future__ import annotations

import json

from hotline.core import keys

ACTIVE_KEY = keys.ALERTS_ACTIVE.pattern
STREAM_KEY = keys.ALERTS.pattern
HISTORY_KEY = keys.QUEUE_HISTORY.pattern


class AlertStore:
    def __init__(self, redis, stream_maxlen: int = 10000, history_minutes: int = 120) -> None:
        self.redis = redis
        self.stream_maxlen = stream_maxlen
        self.history_minutes = history_minutes

    async def load_active(self) -> dict[str, dict]:
        raw = await self.redis.hgetall(ACTIVE_KEY)
        active = {}
        for alert_id, text in raw.items():
            try:
                active[alert_id] = json.loads(text)
            except ValueError:
                continue  # a damaged entry must not stop alerting; the next evaluation rewrites it
        return active

    async def record(self, alert: dict) -> str:
        """Write the transition to the stream and the active hash in one round trip."""
        text = json.dumps(alert, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=True)
        if alert["severity"] is None:
            pipe.hdel(ACTIVE_KEY, alert["alert_id"])
        else:
            pipe.hset(ACTIVE_KEY, alert["alert_id"], text)
        pipe.xadd(STREAM_KEY, {"kind": alert["kind"], "alert_id": alert["alert_id"], "queue": alert["queue"],
                               "severity": alert["severity"] or "", "data": text},
                  maxlen=self.stream_maxlen, approximate=True)
        results = await pipe.execute()
        return results[-1]

    async def record_notice(self, alert: dict) -> str:
        """A one-off alert (hotspot reports): into the stream only, never active."""
        text = json.dumps(alert, ensure_ascii=False)
        return await self.redis.xadd(STREAM_KEY, {"kind": alert["kind"], "alert_id": alert["alert_id"],
                                                  "queue": alert.get("queue", ""), "severity": alert["severity"],
                                                  "data": text}, maxlen=self.stream_maxlen, approximate=True)

    async def history(self, count: int = 100) -> list[dict]:
        entries = await self.redis.xrevrange(STREAM_KEY, count=count)
        out = []
        for entry_id, fields in entries:
            try:
                out.append({"id": entry_id, **json.loads(fields["data"])})
            except (KeyError, ValueError):
                continue
        return out

    async def add_points(self, points: dict[str, dict]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for queue, point in points.items():
            key = HISTORY_KEY.format(queue=queue)
            pipe.rpush(key, json.dumps(point, ensure_ascii=False))
            pipe.ltrim(key, -self.history_minutes, -1)
        await pipe.execute()

    async def points(self, queue: str, minutes: int = 60) -> list[dict]:
        raw = await self.redis.lrange(HISTORY_KEY.format(queue=queue), -minutes, -1)
        return [json.loads(text) for text in raw]
