"""Structured (JSON lines) logging; caller numbers are masked before they reach a log."""
from __future__ import annotations

import json
import logging
import re
import sys

_DIGITS = re.compile(r"\d")


def mask_number(number: str | None) -> str:
    """Keep enough of a phone number to recognise it, never the whole: 13812345678 -> 138****5678."""
    if not number:
        return ""
    digits = str(number)
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 8 else 1
    return digits[:keep_head] + _DIGITS.sub("*", digits[keep_head:-4]) + digits[-4:]


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

