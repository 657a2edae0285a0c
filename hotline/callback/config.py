"""config/callback.yaml: which lines offer 预约回拨, from which estimated wait, and how call-backs are retried."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotline.core.yamlfile import read_yaml

# what the offer, the confirmation and the agent's notice play (config/prompts.yaml)
PROMPTS = ("callback-offer", "callback-confirm", "callback-confirm-keys", "callback-booked", "callback-agent",
           *(f"digit-{d}" for d in range(10)))


class CallbackConfigError(ValueError):
    """The file is missing, not YAML or breaks the schema; the message names the file and the field."""


class LineOffer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # the offer is live while the line's estimated wait for a new caller is over this many seconds
    threshold_seconds: int = Field(default=120, ge=0, le=86400)


class CallbackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    offer_every_seconds: int = Field(default=20, ge=5, le=600)
    offer_first_after_seconds: int = Field(default=5, ge=1, le=600)   # the first offer, after joining
    ring_seconds: int = Field(default=30, ge=5, le=120)
    attempts: int = Field(default=3, ge=1, le=10)
    retry_interval_seconds: float = Field(default=120, ge=0, le=3600)
    confirm_timeout_seconds: float = Field(default=6, ge=2, le=30)
    default_aht_seconds: float = Field(default=240, gt=0, le=3600)
    lines: dict[str, LineOffer] = {}

    def offers(self, line: str) -> bool:
        return line in self.lines

    def check_lines(self, known: list[str]) -> list[str]:
        """Problems with line names that are not in the catalogue (config/queues.yaml)."""
        return [f"lines.{name}: unknown line; the lines are {', '.join(known)} (config/queues.yaml)"
                for name in self.lines if name not in known]


def parse_config(data: object, source: str = "callback.yaml") -> CallbackConfig:
    try:
        return CallbackConfig.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
                             for err in exc.errors())
        raise CallbackConfigError(f"{source}: {problems}") from None


def load_config(path: Path | str, lines: list[str] | None = None) -> CallbackConfig:
    """The file validated; with `lines`, a line name that is not in the catalogue is an error too.
    A missing file means no line offers call-backs (the feature is optional)."""
    path = Path(path)
    if not path.exists():
        return CallbackConfig()
    config = parse_config(read_yaml(path, CallbackConfigError), str(path))
    problems = config.check_lines(lines) if lines is not None else []
    if problems:
        raise CallbackConfigError(f"{path}: " + "; ".join(problems))
    return config
