"""config/hours.yaml: per line a weekly schedule, a holiday calendar and where callers go while it is closed.

A line without an entry is always open (12345 itself, the `general` line, stays 7×24 unless someone gives it
hours on purpose). Times are wall-clock times in the hotline's time zone (setting `timezone`).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotline.core.lines import LINE_NAME
from hotline.core.yamlfile import read_yaml

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "09:00-17:30"; 24:00 ends a span at midnight
Span = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
PROMPT_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class HoursError(ValueError):
    """hours.yaml is unreadable or breaks the schema; the message names the file and the field."""


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


class Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    until: dt.date | None = None        # last day of a multi-day holiday (春节 spans a week)
    name: str = Field(min_length=1, max_length=32)

    @model_validator(mode="after")
    def _order(self) -> Holiday:
        if self.until is not None and self.until < self.date:
            raise ValueError(f"holiday {self.name}: until {self.until} is before {self.date}")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.date <= day <= (self.until or self.date)


class Closed(BaseModel):
    """What a caller who presses this line's key hears and where the call goes while the line is closed."""
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(default="after-hours", pattern=PROMPT_NAME)
    queue: str | None = Field(default=None, pattern=LINE_NAME)   # another line takes the call
    callback: bool = False     # or: the caller records the description, the ticket is marked for a call-back

    @model_validator(mode="after")
    def _one_way(self) -> Closed:
        if bool(self.queue) == self.callback:
            raise ValueError("closed: give either queue (another line) or callback: true")
        return self


class LineHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly: dict[Day, list[Span]] = {}      # a day not listed is closed all day
    holidays: list[Holiday] = []
    closed: Closed = Field(default_factory=lambda: Closed(queue="general"))

    @model_validator(mode="after")
    def _spans(self) -> LineHours:
        for day, spans in self.weekly.items():
            ranges = sorted((minutes(s[:5]), minutes(s[6:])) for s in spans)
            for start, end in ranges:
                if start >= end:
                    raise ValueError(f"{day}: a span must end after it starts")
            for (_, end), (start, _) in zip(ranges, ranges[1:]):
                if start < end:
                    raise ValueError(f"{day}: spans overlap")
        return self

    def open_at(self, local: dt.datetime) -> bool:
        if any(h.covers(local.date()) for h in self.holidays):
            return False
        now = local.hour * 60 + local.minute
        spans = self.weekly.get(DAYS[local.weekday()], [])
        return any(minutes(s[:5]) <= now < minutes(s[6:]) for s in spans)

    def holiday_on(self, day: dt.date) -> Holiday | None:
        return next((h for h in self.holidays if h.covers(day)), None)


class HoursBook(BaseModel):
    """The whole hours.yaml."""
    model_config = ConfigDict(extra="forbid")

    lines: dict[str, LineHours] = {}

    def check_lines(self, names: list[str]) -> list[str]:
        """Cross-file problems: lines and fallback lines that are not in queues.yaml, a line closing onto itself."""
        problems = []
        for line, hours in self.lines.items():
            if line not in names:
                problems.append(f"lines.{line}: is not a line of queues.yaml ({', '.join(names)})")
            target = hours.closed.queue
            if target and target not in names:
                problems.append(f"lines.{line}.closed.queue: {target!r} is not a line of queues.yaml")
            if target == line:
                problems.append(f"lines.{line}.closed.queue: a closed line cannot send callers to itself")
        return problems


def parse_hours(data: object, names: list[str] | None = None, source: str = "hours.yaml") -> HoursBook:
    try:
        book = HoursBook.model_validate(data if data is not None else {})
    except ValidationError as exc:
        text = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: "
                         f"{err['msg'].removeprefix('Value error, ')}" for err in exc.errors())
        raise HoursError(f"{source}: {text}") from None
    if names is not None and (problems := book.check_lines(names)):
        raise HoursError(f"{source}: {'; '.join(problems)}")
    return book


def load_hours(path: Path | str, names: list[str] | None = None) -> HoursBook:
    """A missing file means every line is always open."""
    path = Path(path)
    if not path.exists():
        return HoursBook()
    return parse_hours(read_yaml(path, HoursError), names, str(path))
