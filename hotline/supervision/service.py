"""Supervision feature: live queue model from AMI, overflow rules, alert store and notifiers.

`start(runtime)` registers the AMI handlers, an on_connect re-sync (Asterisk does not replay events
missed while the link was down) and three background loops: a 1 s rule tick, QueueSummary/QueueStatus
reconciliation, and the per-minute wallboard history.
"""
from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import RedisError

from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event
from hotline.core.webhooks import WebhookSender
from hotline.supervision import rules_store
from hotline.supervision.config import SEVERITIES, OverflowConfig
from hotline.supervision.notifier import WebSocketHub
from hotline.supervision.queue_model import QueueModel
from hotline.supervision.rules import RANK, RuleEngine, Transition
from hotline.supervision.staffing import staffing_advice
from hotline.supervision.store import AlertStore

log = logging.getLogger("hotline.supervision")

QUEUE_EVENTS = ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentConnect", "AgentComplete",
                "AgentRingNoAnswer", "QueueMemberStatus", "QueueMemberPause", "QueueMemberAdded",
                "QueueMemberRemoved", "QueueMemberPenalty", "QueueMemberRinginuse")
METRIC_LABELS = {"callers_waiting": "排队人数", "longest_wait_s": "最长等待(秒)", "service_level": "服务水平(%)",
                 "abandon_rate": "放弃率(%)", "agents_logged_in": "在线坐席"}
SEVERITY_LABELS = {"warning": "预警", "critical": "严重"}
TICK_S = 1.0


class SupervisionService:
    def __init__(self, redis, ami, config: OverflowConfig, lines: LineCatalogue, clock=time.time,
                 spawn=None) -> None:
        self.redis, self.ami, self.config, self.clock, self.spawn = redis, ami, config, clock, spawn
        self.base_config = config              # overflow.yaml; admins' rules (rules_store) are laid over it
        self.rules_version: int | None = None  # the stored rules in use (None: the file's)
        self._rules_seen: int | None = None
        self.labels = lines.labels()           # every line of the catalogue is watched, in its order
        aliases = {line.asterisk_queue: line.name for line in lines.queues}
        self.model = QueueModel(lines.names, config.service_level_seconds, aliases)
        self.engine = RuleEngine(config, lines.names)
        self.store = AlertStore(redis, config.stream_maxlen, config.history_minutes)
        self.hub = WebSocketHub()
        self.webhooks = WebhookSender(config.webhooks, name="supervision")
        self.active: dict[str, dict] = {}      # alert id -> alert as last announced
        self.counters = {"events": 0, "transitions": 0, "resyncs": 0, "resync_errors": 0}
        self._lock = asyncio.Lock()            # one evaluation at a time: events, tick and re-sync interleave

    # --- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        spawn = self.spawn
        self.active = await self.store.load_active()
        self.engine.restore({k: v.get("severity") for k, v in self.active.items()})
        await self._adopt_stored_rules()
        self.ami.on_event(QUEUE_EVENTS, self.on_event)
        self.ami.on_connect(self.resync)
        spawn(self._every(TICK_S, self.tick), "supervision-tick")
        spawn(self._every(self.config.reconcile_seconds, self.reconcile), "supervision-reconcile")
        spawn(self._every(self.config.reconcile_seconds, self.follow_stored_rules), "supervision-rules")
        spawn(self._history_loop(), "supervision-history")
        log_event(log, "supervision started", queues=list(self.labels), restored_alerts=len(self.active))

    async def _every(self, interval: float, job) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad round (Redis blip, AMI timeout) must not end the loop
                log.exception("supervision job failed", extra={"fields": {"job": job.__name__}})

    # --- inputs -----------------------------------------------------------------------------------
    async def on_event(self, event) -> None:
        """Only the model changes here: the rules run on the 1 s tick. Evaluating on every queue event cost
        the controller ~14% of its loop at 500 concurrent calls; alerts hold seconds before they fire anyway."""
        self.counters["events"] += 1
        self.model.apply(event, self.clock())

    async def tick(self) -> None:
        now = self.clock()
        self.model.tick(now)
        await self.evaluate(now)
        if self.hub.clients:
            await self.hub.broadcast({"type": "queues", "at": now, "queues": self.queues_view(now)})

    async def resync(self, full_reset: bool = True) -> None:
        """Members and waiting callers as Asterisk reports them (QueueStatus); after a reconnect too."""
        events = await self.ami.send_action_list("QueueStatus")
        now = self.clock()
        changed = self.model.reconcile(events, now, full_reset=full_reset)
        self.counters["resyncs"] += 1
        log_event(log, "queues re-synced", full_reset=full_reset, changed=sorted(changed), events=len(events))
        await self.evaluate(now)

    async def reconcile(self) -> None:
        """Cheap QueueSummary check every few seconds; a QueueStatus re-sync on drift or when due."""
        if not self.ami.connected:
            return
        now = self.clock()
        due = now - getattr(self, "_last_full", 0.0) >= self.config.full_resync_seconds
        drift = self.model.summary_mismatch(await self.ami.send_action_list("QueueSummary"))
        if drift or due:
            self._last_full = now
            await self.resync(full_reset=False)

    # --- rules edited at run time (hotline/supervision/rules_store.py) -------------------------------
    async def follow_stored_rules(self) -> None:
        """Rules saved through another controller of a cluster are taken within reconcile_seconds."""
        await self._adopt_stored_rules(only_if_new=True)

    async def _adopt_stored_rules(self, only_if_new: bool = False) -> None:
        stored = await rules_store.load(self.redis)
        if stored is None or (only_if_new and stored["version"] == self._rules_seen):
            return
        self._rules_seen = stored["version"]   # looked at once, applied or not
        try:
            config = rules_store.overlay(self.base_config, stored["rules"], list(self.labels))
        except rules_store.RulesInvalid as exc:   # e.g. a line removed since: keep the file's rules, say why
            log_event(log, "stored overflow rules not applied", logging.WARNING, version=stored["version"],
                      error=str(exc))
            return
        await self.apply_config(config, stored["version"])

    async def apply_config(self, config: OverflowConfig, version: int | None = None) -> None:
        """Use new rules and targets from now on; alerts of rules that no longer exist are cleared."""
        async with self._lock:
            old, now = self.config, self.clock()
            self.config = self.engine.config = config
            self.rules_version = self._rules_seen = version
            for alert_id, severity in list(self.engine.active.items()):
                queue, _, rule_id = alert_id.partition(":")
                metric = next((r.metric for r in old.rules_for(queue) if r.id == rule_id), None)
                if metric and rule_id not in {r.id for r in config.rules_for(queue)}:
                    del self.engine.active[alert_id]
                    await self.publish(Transition("cleared", alert_id, queue, rule_id, metric, None, severity,
                                                  None, None, now), now)
        log_event(log, "overflow rules applied", version=version)

    # --- rules and alerts -------------------------------------------------------------------------
    async def evaluate(self, now: float, queues=None) -> list[dict]:
        async with self._lock:
            announced = [await self.publish(t, now) for t in self.engine.evaluate(self.model, now, queues)]
        return announced

    async def publish(self, transition: Transition, now: float) -> dict:
        alert = self.describe(transition, now)
        self.counters["transitions"] += 1
        if alert["severity"] is None:
            self.active.pop(alert["alert_id"], None)
        else:
            self.active[alert["alert_id"]] = alert
        try:
            alert["stream_id"] = await self.store.record(alert)
        except RedisError as exc:  # still tell the supervisors; the store catches up on the next change
            log_event(log, "alert not stored", logging.WARNING, alert_id=alert["alert_id"], error=repr(exc))
        log_event(log, f"alert {alert['kind']}", alert_id=alert["alert_id"], severity=alert["severity"],
                  value=alert["value"], add_agents=alert["staffing"]["add_agents"])
        await self.hub.broadcast({"type": "alert", "alert": alert})
        self.webhooks.submit(alert, alert_id=alert["alert_id"])
        return alert

    async def notice(self, alert: dict) -> dict:
        """A one-off alert from another feature (a hotspot: 同诉 cluster or category spike): stored in the
        alerts stream and sent to the wallboards and webhooks like an overflow alert, but never active (no
        overflow, nothing to clear)."""
        try:
            alert["stream_id"] = await self.store.record_notice(alert)
        except RedisError as exc:
            log_event(log, "alert not stored", logging.WARNING, alert_id=alert["alert_id"], error=repr(exc))
        log_event(log, f"alert {alert['kind']}", alert_id=alert["alert_id"], severity=alert["severity"])
        await self.hub.broadcast({"type": "alert", "alert": alert})
        self.webhooks.submit(alert, alert_id=alert["alert_id"])
        return alert

    def describe(self, t: Transition, now: float) -> dict:
        label = self.labels[t.queue]
        staffing = staffing_advice(self.model, t.queue, now, self.config.staffing_for(t.queue))
        metric, value = METRIC_LABELS[t.metric], _fmt(t.value)
        if t.severity is None:
            message = f"【恢复】{label} {metric} {value}，已恢复正常"
        else:
            message = f"【{SEVERITY_LABELS[t.severity]}】{label} {metric} {value}（阈值 {_fmt(t.threshold)}）— " \
                      f"{staffing['message']}"
        return t.as_dict() | {"label": label, "message": message, "staffing": staffing,
                              "numbers": self.model.snapshot(t.queue, now)}

    # --- views ------------------------------------------------------------------------------------
    def queues_view(self, now: float) -> list[dict]:
        out = []
        for queue in self.labels:
            alerts = [a for a in self.active.values() if a["queue"] == queue]
            out.append(self.model.snapshot(queue, now) | {
                "label": self.labels[queue], "service_level_seconds": self.config.service_level_seconds,
                "staffing": staffing_advice(self.model, queue, now, self.config.staffing_for(queue)),
                "alerts": sorted(alerts, key=lambda a: -RANK[a["severity"]]),
            })
        return out

    def history_point(self, queue: str, now: float) -> dict:
        snap = self.model.snapshot(queue, now, window_s=60)
        keep = ("callers_waiting", "longest_wait_s", "agents_logged_in", "agents_available", "agents_busy",
                "offered", "answered", "abandoned", "service_level", "answer_rate")
        return {"t": int(now)} | {k: snap[k] for k in keep}

    async def _history_loop(self) -> None:
        await asyncio.sleep(5)                      # a first point soon after start (after the re-sync)
        while True:
            now = self.clock()
            try:
                await self.store.add_points({q: self.history_point(q, now) for q in self.labels})
            except RedisError as exc:
                log_event(log, "history point not stored", logging.WARNING, error=repr(exc))
            await asyncio.sleep(60 - self.clock() % 60)   # then on the minute, so queues line up

    async def stop(self) -> None:
        await self.webhooks.close()

    # --- for the call flow ------------------------------------------------------------------------
    async def overflow_for(self, queue: str) -> dict | None:
        """Where a NEW caller of `queue` should go while an alert is active (ivr.ports.OverflowPolicy):
        {"action": "route", "queue": ...}, {"action": "announce", "prompt": ...}, or None (no overflow
        configured or enabled, no alert severe enough). Reads the alerts this process holds: no Redis trip."""
        queue_config = self.config.queues.get(queue)
        if queue_config is None or not queue_config.overflow.enabled:
            return None
        overflow = queue_config.overflow
        for alert_id, alert in self.active.items():
            severity = alert.get("severity")
            if alert.get("queue") != queue or severity not in SEVERITIES:
                continue
            if RANK[severity] >= RANK[overflow.min_severity]:
                if overflow.action == "route":
                    return {"action": "route", "queue": overflow.queue, "alert_id": alert_id}
                return {"action": "announce", "prompt": overflow.prompt, "alert_id": alert_id}
        return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
