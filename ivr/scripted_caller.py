"""Scripted hotline callers for the demo command, tests and benchmarks: SIPp steps timed to our prompts."""
from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

from hotline.core.config import Settings
from ivr import prompts
from ivr.journal import Journal

FIRST_KEY_AFTER = 1.5  # seconds after the answer: the welcome prompt is playing by then


def prompt_seconds(settings: Settings, name: str) -> float:
    with wave.open(str(prompts.sounds_dir(settings) / f"{name}.wav")) as wav:
        return wav.getnframes() / wav.getframerate()


SURVEY_PRESSES, SURVEY_PRESS_EVERY = 16, 1.5   # a key every 1.5 s for 24 s: one lands in the survey


def hotline_steps(settings: Settings, key: str | None, *, audio: Path | None = None,
                  menu_timeout: float = 5.0, hangup_after: float | None = None,
                  survey: str | None = None) -> list[tuple]:
    """Press `key` during the welcome (None: press nothing), then speak `audio` after the beep and end it
    with '#', or skip the description with '#'; then stay until the far end hangs up. `survey`: keep
    pressing that key while with the agent (the agent hears it as tones), so the first press after the
    agent hangs up answers the satisfaction survey, whenever that happens."""
    if key is None:
        steps: list[tuple] = [("pause", prompt_seconds(settings, "welcome") + menu_timeout + 1.0)]
    else:
        steps = [("pause", FIRST_KEY_AFTER), ("dtmf", key)]
    if audio is not None:
        steps += [("pause", prompt_seconds(settings, "record-description") + 1.2), ("audio", audio), ("dtmf", "#")]
    else:
        steps += [("pause", 1.0), ("dtmf", "#")]  # '#' during the description prompt skips it
    for _ in range(SURVEY_PRESSES if survey else 0):
        steps += [("pause", SURVEY_PRESS_EVERY), ("dtmf", survey)]
    steps.append(("pause", hangup_after) if hangup_after is not None else ("hold", None))
    return steps


def callback_steps(key: str, *, in_queue: float = 3.0, confirm_after: float = 2.5) -> list[tuple]:
    """预约回拨: press `key`, skip the description with '#', wait `in_queue` seconds in the queue, press 1 (the
    offer), then 1 again while the number is read back (confirm); stay until the hotline hangs up."""
    return [("pause", FIRST_KEY_AFTER), ("dtmf", key), ("pause", 1.0), ("dtmf", "#"), ("pause", in_queue),
            ("dtmf", "1"), ("pause", confirm_after), ("dtmf", "1"), ("hold", None)]


async def find_call(journal: Journal, caller_id: str, *, since: float, timeout: float = 10.0) -> dict | None:
    """The journal of the latest call from `caller_id` started after `since` (callers are unique per run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for summary in await journal.recent(limit=200):
            if summary.get("caller") == caller_id and summary.get("started_at", 0) >= since:
                return await journal.get(summary["call_id"])
        await asyncio.sleep(0.2)
    return None
