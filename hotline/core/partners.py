"""Partner lines (水电气热 linkage, config/partners.yaml): the water, power, gas and heating companies a caller
can be transferred to, from the voice menu (action `transfer`) or by an agent (一键转接).

Part of the one line catalogue (hotline.core.lines.LineCatalogue.partners): loaded with it, passed with it.
A partner is reached through a PJSIP endpoint of this PBX (the sandbox renders one per partner, a SIPp phone
in tests) or a dial string through a trunk; it owns ticket categories of config/taxonomy.yaml (the console
lists the partner of the ticket's category first) and may receive the draft ticket by webhook.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotline.core.webhooks import WebhookConfig

PARTNER_NAME = r"^[a-z][a-z0-9_]{0,31}$"      # a dialplan extension: plain
# a dial string through a trunk: one technology/resource, no `&` (parallel dial), `,` (options) or `$` (vars)
DIAL_STRING = r"^(PJSIP|SIP|IAX2|DAHDI)/[A-Za-z0-9_@.+*#:/-]{1,120}$"
ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"
DIAL_CODE_BASE = 7100   # partner N (1-based) is dialled as 7100+N inside the PBX (attended transfer keys digits)


class HoursWindow(BaseModel):
    """Open from `start` to `end` (local time of the partner's timezone) on ISO weekdays `days` (1 = Monday)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Annotated[int, Field(ge=1, le=7)]] = ALL_DAYS
    start: str = Field(default="00:00", pattern=CLOCK)
    end: str = Field(default="24:00", pattern=CLOCK)

    @model_validator(mode="after")
    def _ordered(self) -> HoursWindow:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self

    def covers(self, local: dt.datetime) -> bool:
        return local.isoweekday() in self.days and self.start <= local.strftime("%H:%M") < self.end


class Partner(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=PARTNER_NAME)          # menus.yaml `partner:`, the API's `partner`
    label: str = Field(min_length=1, max_length=32)  # 供水 / 供电 / 燃气 / 供热
    company: str = Field(default="", max_length=64)  # 市自来水公司 ...
    # where the call goes: a PJSIP endpoint of this PBX (rendered by `hotline pbx up`), or a trunk dial string
    endpoint: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$")
    dial: str | None = Field(default=None, pattern=DIAL_STRING)
    ring_timeout_seconds: int = Field(default=20, ge=5, le=120)
    hours: list[HoursWindow] = []                    # empty: 7×24
    timezone: str = "Asia/Shanghai"
    categories: list[str] = []                       # ticket categories it owns (config/taxonomy.yaml)
    webhook: WebhookConfig = WebhookConfig()         # the draft ticket, POSTed when a call is transferred

    @model_validator(mode="after")
    def _one_destination(self) -> Partner:
        if (self.endpoint is None) == (self.dial is None):
            raise ValueError("give exactly one of endpoint (a PJSIP endpoint of this PBX) or dial (a trunk)")
        if self.endpoint and self.endpoint.startswith("agent"):
            raise ValueError(f"endpoint {self.endpoint!r}: agentN names are the agents' phones")
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @property
    def dial_string(self) -> str:
        return f"PJSIP/{self.endpoint}" if self.endpoint else str(self.dial)

    def is_open(self, when: dt.datetime | None = None) -> bool:
        if not self.hours:
            return True
        local = (when or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(self.timezone))
        return any(window.covers(local) for window in self.hours)

    def public(self) -> dict:
        """What the console and the API show (no webhook URLs: they may carry tokens)."""
        return {"name": self.name, "label": self.label, "company": self.company, "categories": self.categories,
                "ring_timeout_seconds": self.ring_timeout_seconds, "open": self.is_open()}


def check_partners(partners: list[Partner], line_names: list[str]) -> list[Partner]:
    """Names unique and apart from the lines' (a transfer and a queue never mix up), endpoints unique."""
    for attr in ("name", "endpoint"):
        values = [getattr(p, attr) for p in partners if getattr(p, attr)]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"partners: duplicate {attr}: {dupes}")
    clash = sorted({p.name for p in partners} & set(line_names))
    if clash:
        raise ValueError(f"partners: {clash} are also line names")
    return partners


def pbx_partners(partners: list[Partner]) -> list[dict]:
    """Plain data for the Asterisk renderer: partner N (1-based) has dial code 7100+N and, when it is an
    endpoint of this PBX, its sandbox phone listens on partner_phone_base_port + N."""
    return [{"name": p.name, "label": p.label, "endpoint": p.endpoint, "dial": p.dial_string, "index": i,
             "code": str(DIAL_CODE_BASE + i), "ring_timeout_seconds": p.ring_timeout_seconds}
            for i, p in enumerate(partners, start=1)]
