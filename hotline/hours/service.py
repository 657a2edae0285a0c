"""The opening-hours book of the running controller: the call flow's `is_open(line, now)`, and the admin edit
(validate, write hours.yaml, swap in place, audit) that applies to the next key press without a restart."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from hotline.admin import audit
from hotline.admin.yamlfile import write_yaml
from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event
from hotline.hours.model import load_hours, parse_hours

log = logging.getLogger("hotline.hours")


class HoursService:
    def __init__(self, settings: Settings, lines: LineCatalogue):
        self.settings, self.lines = settings, lines
        self.zone = ZoneInfo(settings.timezone)
        self.book = load_hours(settings.hours_file, lines.names)
        self._lock = asyncio.Lock()

    def local_now(self, now: float | None = None) -> dt.datetime:
        """Wall-clock time in the hotline's zone; the test/demo clock offset applies here and only here."""
        epoch = (now if now is not None else dt.datetime.now().timestamp()) + self.settings.clock_offset_seconds
        return dt.datetime.fromtimestamp(epoch, self.zone)

    def is_open(self, line: str, now: float) -> tuple[bool, dict | None]:
        """(open, fallback): fallback says what a caller of a closed line gets ({prompt, queue | callback})."""
        hours = self.book.lines.get(line)
        if hours is None:
            return True, None
        local = self.local_now(now)
        if hours.open_at(local):
            return True, None
        holiday = hours.holiday_on(local.date())
        return False, hours.closed.model_dump(exclude_none=True) | {
            "reason": f"holiday {holiday.name}" if holiday else "outside hours", "local_time": local.isoformat()}

    def status(self, now: float | None = None) -> dict[str, dict]:
        """Each line, open now or not (the admin tab shows it)."""
        local = self.local_now(now)
        result = {}
        for name in self.lines.names:
            is_open, fallback = self.is_open(name, local.timestamp() - self.settings.clock_offset_seconds)
            result[name] = {"open": is_open, "always_open": name not in self.book.lines,
                            "reason": (fallback or {}).get("reason", "")}
        return result

    def view(self) -> dict:
        return self.book.model_dump(mode="json", exclude_defaults=False)

    async def replace(self, redis, actor: audit.Actor, data: object, note: str = "") -> dict:
        """Validate (raises HoursError), write hours.yaml, swap the book, audit. Returns the new book."""
        async with self._lock:
            book = parse_hours(data, self.lines.names, "hours")
            before = self.view()
            after = book.model_dump(mode="json")
            await asyncio.to_thread(write_yaml, self.settings.hours_file,
                                    book.model_dump(mode="json", exclude_defaults=True))
            self.book = book
            await audit.record(redis, actor, "hours.update", "hours", before, after, note)
            log_event(log, "opening hours changed", actor=actor.username, lines=sorted(book.lines))
            return after

