"""Structured (JSON lines) logging; caller numbers are masked before they reach a log."""
from __future__ import annotations

import json
import logging
import re
import sys

_SECRET = re.compile(r"[0-9A-Za-z]")


def mask_number(number: str | None) -> str:
    """Keep enough of a number to recognise it, never most of it: 13812345678 -> 138****5678,
    0105551234 -> 01******34, 12345 -> ***45, 110 -> ***. Letters (SIP user names) are masked like digits."""
    if not number:
        return ""
    text = str(number)
    n = len(text)
    head, tail = (3, 4) if n >= 11 else (2, 2) if n >= 8 else (0, 2) if n >= 5 else (0, 0)
    return text[:head] + _SECRET.sub("*", text[head:n - tail]) + text[n - tail:]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", stream=sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def log_event(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields) -> None:
    """Log with structured fields: log_event(log, "call answered", call_id=..., caller=mask_number(n))."""
    logger.log(level, msg, extra={"fields": fields})

