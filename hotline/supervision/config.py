"""config/overflow.yaml: alert rules per queue, staffing targets, webhooks, optional overflow actions."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from hotline.core.config import get_settings
from hotline.core.webhooks import WebhookConfig
from hotline.core.yamlfile import read_yaml

Metric = Literal["callers_waiting", "longest_wait_s", "service_level", "abandon_rate", "agents_logged_in"]
# for these a LOW value is the problem; for all others a high value is
LOW_IS_BAD = {"service_level", "agents_logged_in"}
RATE_METRICS = {"service_level", "abandon_rate"}
SEVERITIES = ("warning", "critical")   # in increasing order


class OverflowConfigError(ValueError):
    """The file is missing, not YAML, or breaks a rule; the message names file, place and problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Level(_Strict):
    raise_at: float = Field(alias="raise")   # alert when the value reaches this (>= or <= by metric)
    clear_at: float = Field(alias="clear")   # back to normal only when the value reaches this


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    metric: Metric
    window_s: int = Field(default=300, ge=60, le=3600)   # for service_level / abandon_rate
    min_calls: int = Field(default=5, ge=1)              # fewer finished calls in the window: no verdict
    raise_after_s: float = Field(default=0.0, ge=0, le=3600)   # the condition must hold this long
    clear_after_s: float = Field(default=15.0, ge=0, le=3600)
    warning: Level | None = None
    critical: Level | None = None

    @property
    def low_is_bad(self) -> bool:
        return self.metric in LOW_IS_BAD

    def levels(self) -> list[tuple[str, Level]]:
        return [(name, getattr(self, name)) for name in SEVERITIES if getattr(self, name) is not None]

    def worse(self, a: float, b: float) -> bool:
        """True when value `a` is strictly worse than `b` for this metric."""
        return a < b if self.low_is_bad else a > b

    @model_validator(mode="after")
    def _hysteresis(self) -> "Rule":
        if not self.levels():
            raise ValueError(f"rule {self.id!r}: give at least one of 'warning' or 'critical'")
        for name, level in self.levels():
            if not self.worse(level.raise_at, level.clear_at):
                side = "below" if not self.low_is_bad else "above"
                raise ValueError(f"rule {self.id!r} {name}: 'clear' ({level.clear_at:g}) must be strictly {side} "
                                 f"'raise' ({level.raise_at:g}) so the alert cannot flap")
        if self.warning and self.critical and not self.worse(self.critical.raise_at, self.warning.raise_at):
            raise ValueError(f"rule {self.id!r}: critical 'raise' must be worse than warning 'raise'")
        if self.metric in {"service_level", "abandon_rate"}:
            for name, level in self.levels():
                if not (0 <= level.raise_at <= 100 and 0 <= level.clear_at <= 100):
                    raise ValueError(f"rule {self.id!r} {name}: {self.metric} is a percentage (0-100)")
        return self


class Staffing(_Strict):
    target_service_level: float = Field(default=0.8, gt=0, lt=1)
    target_answer_s: float = Field(default=20, ge=0)
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    shrinkage: float = Field(default=0.3, ge=0, lt=1)
    # used until the queue has measured calls of its own
    default_aht_s: float = Field(default=240, gt=0)
    default_calls_per_hour: float = Field(default=30, ge=0)


class Overflow(_Strict):
    enabled: bool = False
    action: Literal["route", "announce"] = "route"
    queue: str | None = None
    prompt: str | None = None
    min_severity: Literal["warning", "critical"] = "critical"

    @model_validator(mode="after")
    def _target(self) -> "Overflow":
        if not self.enabled:
            return self
        if self.action == "route" and not self.queue:
            raise ValueError("overflow action 'route' needs 'queue'")
        if self.action == "announce" and not self.prompt:
            raise ValueError("overflow action 'announce' needs 'prompt'")
        return self


class QueueConfig(_Strict):
    rules: list[Rule] | None = None          # None: the file's default_rules
    overflow: Overflow = Field(default_factory=Overflow)
    staffing: Staffing | None = None         # this line's service-level targets; None: the file's staffing


class OverflowConfig(_Strict):
    service_level_seconds: float = Field(default=20, gt=0, le=600)
    reconcile_seconds: float = Field(default=10, ge=1, le=3600)   # QueueSummary check; QueueStatus on drift
    full_resync_seconds: float = Field(default=60, ge=5, le=86400)
    history_minutes: int = Field(default=120, ge=10, le=1440)
    stream_maxlen: int = Field(default=10000, ge=100)
    staffing: Staffing = Field(default_factory=Staffing)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    default_rules: list[Rule] = []
    # per line (config/queues.yaml names); a line without an entry gets default_rules and no overflow
    queues: dict[str, QueueConfig] = {}

    @model_validator(mode="after")
    def _rules_and_targets(self, info: ValidationInfo) -> "OverflowConfig":
        lines = (info.context or {}).get("lines")   # the catalogue's line names, when the caller has them
        unknown = self.unknown_lines(lines) if lines is not None else []
        if unknown:
            raise ValueError(f"{unknown} not a configured queue: the lines are {list(lines)} (queues.yaml)")
        for name, queue in self.queues.items():
            ids = [r.id for r in self.rules_for(name)]
            if len(ids) != len(set(ids)):
                raise ValueError(f"queue {name!r}: rule ids must be unique, got {ids}")
            target = queue.overflow.queue
            if target == name:
                raise ValueError(f"queue {name!r}: overflow cannot route a queue to itself")
        return self

    def staffing_for(self, queue: str) -> Staffing:
        own = self.queues[queue].staffing if queue in self.queues else None
        return own or self.staffing

    def rules_for(self, queue: str) -> list[Rule]:
        rules = self.queues[queue].rules if queue in self.queues else None
        return self.default_rules if rules is None else rules

    def unknown_lines(self, lines) -> list[str]:
        """Queue names here that the line catalogue does not have (overflow targets included)."""
        named = set(self.queues) | {q.overflow.queue for q in self.queues.values() if q.overflow.queue}
        return sorted(n for n in named if n not in lines)


def parse_config(data: object, source: str = "overflow.yaml", lines: list[str] | None = None) -> OverflowConfig:
    """`lines`: the catalogue's line names; every queue and overflow target must be one of them."""
    try:
        return OverflowConfig.model_validate(data, context={"lines": lines})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
                             for err in exc.errors())
        raise OverflowConfigError(f"{source}: {problems}") from None


def load_config(path: Path | str | None = None, lines: list[str] | None = None) -> OverflowConfig:
    """`path`, or the `overflow_file` setting (HOTLINE_OVERFLOW_FILE; default config/overflow.yaml)."""
    path = Path(path or get_settings().overflow_file)
    return parse_config(read_yaml(path, OverflowConfigError), str(path), lines)


@lru_cache
def default_config() -> OverflowConfig:
    return load_config()
