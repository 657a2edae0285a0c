"""The offer switch: each offering line's periodic announcement file is the offer or a short silence.

queues.conf gives a line that offers call-backs `periodic-announce = <sounds>/callback-offer-live-<line>`;
app_queue opens the file each time it announces, so replacing it (atomically) turns the offer on and off
for everyone waiting on that line without touching Asterisk's configuration. A key 1 pressed while the offer
is off is answered by the controller with "back to your place" (service.py).
"""
from __future__ import annotations

import logging
import os
import shutil
import wave
from pathlib import Path

from hotline.core.config import Settings
from hotline.core.logging import log_event
from ivr import prompts

log = logging.getLogger("hotline.callback.offer")
SILENCE_SECONDS = 0.2


def live_name(line: str) -> str:
    return f"callback-offer-live-{line}"


def write_silence(path: Path) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * SILENCE_SECONDS))


class OfferSwitch:
    def __init__(self, settings: Settings, lines: list[str]) -> None:
        self.folder = prompts.sounds_dir(settings)
        self.lines = lines
        self.state: dict[str, bool] = {}

    def apply(self, wanted: dict[str, bool]) -> list[str]:
        """Switch the lines whose state changed (or whose file is missing); returns the lines switched."""
        switched = []
        for line, on in wanted.items():
            target = self.folder / f"{live_name(line)}.wav"
            if self.state.get(line) == on and target.exists():
                continue
            if self._write(target, on):
                self.state[line] = on
                switched.append(line)
                log_event(log, "call-back offer " + ("on" if on else "off"), line=line)
        return switched

    def _write(self, target: Path, on: bool) -> bool:
        source = self.folder / "callback-offer.wav"
        if on and not source.exists():
            return False   # the prompt is not built yet (prompts are synthesised at start): next tick
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp.wav")
        if on:
            shutil.copyfile(source, tmp)
        else:
            write_silence(tmp)
        os.replace(tmp, target)
        return True
