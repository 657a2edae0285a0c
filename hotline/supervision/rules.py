"""Alert rules with hysteresis: raise once, escalate/de-escalate, clear once. Pure: time is passed in.

A severity stays active until its own `clear` threshold is reached; a worse one starts when its
`raise` threshold is reached. Any change must hold `raise_after_s` (worse) or `clear_after_s`
(better) seconds before it is announced, so a value jittering around a threshold cannot flap.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from hotline.supervision.config import RATE_METRICS, SEVERITIES, OverflowConfig, Rule
from hotline.supervision.queue_model import QueueModel

RANK = {None: 0} | {name: i + 1 for i, name in enumerate(SEVERITIES)}


@dataclass
class Transition:
    kind: str                 # raised | escalated | deescalated | cleared
    alert_id: str             # "{queue}:{rule id}"
    queue: str
    rule: str
    metric: str
    severity: str | None      # the severity now (None once cleared)
    previous: str | None
    value: float | None
    threshold: float | None   # the raise (or clear) threshold that was crossed
    at: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Pending:
    severity: str | None
    since: float


def measure(model: QueueModel, queue: str, rule: Rule, now: float) -> float | None:
    """The rule's metric now; None means "no verdict" (too few calls in the window)."""
    if rule.metric in RATE_METRICS:
        stats = model.window_stats(queue, now, rule.window_s)
        finished = stats["answered"] + stats["abandoned"] + stats["timed_out"]
        late = model.late_waiting(queue, now) if rule.metric == "service_level" else 0
        return stats[rule.metric] if finished + late >= rule.min_calls else None
    if rule.metric == "longest_wait_s":
        return model.longest_wait(queue, now)
    return float(model.snapshot(queue, now=None)[rule.metric])


def target_severity(rule: Rule, current: str | None, value: float | None) -> str | None:
    """Worst severity that is raised now, or still active because not yet cleared."""
    if value is None:
        return None
    target = None
    for name, level in rule.levels():
        raised = not rule.worse(level.raise_at, value)          # value at or beyond raise
        cleared = not rule.worse(value, level.clear_at)         # value at or beyond clear (good side)
        still_on = RANK[current] >= RANK[name] and not cleared
        if raised or still_on:
            target = name
    return target


class RuleEngine:
    def __init__(self, config: OverflowConfig, queues=None) -> None:
        self.config = config
        self.queues = list(queues or config.queues)   # the lines watched (the catalogue's, in the service)
        self.active: dict[str, str] = {}           # alert id -> severity
        self._pending: dict[str, _Pending] = {}

    def restore(self, active: dict[str, str]) -> None:
        """Adopt alerts already announced (persisted in Redis) so a restart re-announces nothing."""
        self.active = {k: v for k, v in active.items() if v in SEVERITIES}

    def evaluate(self, model: QueueModel, now: float, queues=None) -> list[Transition]:
        out = []
        for queue in queues or self.queues:
            for rule in self.config.rules_for(queue):
                transition = self._step(queue, rule, measure(model, queue, rule, now), now)
                if transition:
                    out.append(transition)
        return out

    def _step(self, queue: str, rule: Rule, value: float | None, now: float) -> Transition | None:
        alert_id = f"{queue}:{rule.id}"
        current = self.active.get(alert_id)
        target = target_severity(rule, current, value)
        if target == current:
            self._pending.pop(alert_id, None)
            return None
        pending = self._pending.get(alert_id)
        if pending is None or pending.severity != target:
            pending = self._pending[alert_id] = _Pending(target, now)
        hold = rule.raise_after_s if RANK[target] > RANK[current] else rule.clear_after_s
        if now - pending.since < hold:
            return None
        del self._pending[alert_id]
        if target is None:
            del self.active[alert_id]
        else:
            self.active[alert_id] = target
        return Transition(kind=_kind(current, target), alert_id=alert_id, queue=queue, rule=rule.id,
                          metric=rule.metric, severity=target, previous=current, value=value,
                          threshold=_threshold(rule, current, target), at=now)


def _kind(current: str | None, target: str | None) -> str:
    if current is None:
        return "raised"
    if target is None:
        return "cleared"
    return "escalated" if RANK[target] > RANK[current] else "deescalated"


def _threshold(rule: Rule, current: str | None, target: str | None) -> float | None:
    if RANK[target] > RANK[current]:
        return getattr(rule, target).raise_at
    return getattr(rule, current).clear_at
