"""The prompts of an instance on disk: what each plays (text, duration, source, who changed it when) and the
changes themselves. Asterisk plays `<sounds>/<name>.wav`, opening it at each playback: a replaced file
(renamed into place) is what the next call hears, with no reload.

An admin's prompt has `<sounds>/.custom/<name>.json` ({source, text, updated_by, updated_at}); the default it
replaced waits beside it (`<name>.default.wav`) so that reset needs no TTS and loses nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
import wave
from pathlib import Path

from hotline.core.config import Settings
from hotline.prompts import audio
from ivr import prompts
from ivr.prompts import PromptError, check_name

DEFAULT, UPLOADED, REGENERATED, MISSING = "default", "uploaded", "regenerated", "missing"
_lock = threading.Lock()   # one change at a time in this process (the file renames are atomic anyway)


class PromptNotFound(PromptError):
    pass


def seconds_of(path: Path) -> float | None:
    try:
        with wave.open(str(path)) as wav:
            return round(wav.getnframes() / wav.getframerate(), 2)
    except (OSError, wave.Error, EOFError, ZeroDivisionError):
        return None


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class PromptStore:
    def __init__(self, settings: Settings, folder: Path | None = None):
        self.settings = settings
        self.folder = folder or prompts.sounds_dir(settings)

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.wav"

    def defaults(self) -> dict[str, str]:
        return prompts.default_texts(self.settings.prompts_file)

    def _meta(self, name: str) -> dict | None:
        try:
            return json.loads(prompts.meta_path(self.folder, name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def names(self) -> set[str]:
        """Every prompt a menu may name: defaults of prompts.yaml (built at start) and files in place."""
        return prompts.names_in(self.folder) | set(self.defaults())

    def info(self, name: str, defaults: dict[str, str] | None = None) -> dict:
        """What prompt `name` plays now (the audit's before/after and one row of the page)."""
        defaults = self.defaults() if defaults is None else defaults
        path, meta = self.path(name), self._meta(name)
        exists = path.is_file()
        source = (meta or {}).get("source", DEFAULT) if exists else MISSING
        updated_at = (meta or {}).get("updated_at") or (path.stat().st_mtime if exists else None)
        text = (meta or {}).get("text") if source == REGENERATED else defaults.get(name)
        return {"name": name, "text": text, "default_text": defaults.get(name), "source": source,
                "duration": seconds_of(path) if exists else None, "sha256": sha256_of(path) if exists else None,
                "updated_by": (meta or {}).get("updated_by"), "updated_at": updated_at,
                "has_default": name in defaults}

    def list(self) -> list[dict]:
        """prompts.yaml's order (the welcome first), then the admins' own prompts by name."""
        defaults = self.defaults()
        names = list(defaults) + sorted(self.names() - set(defaults))
        return [self.info(name, defaults) for name in names]

    def install(self, name: str, converted: Path, *, source: str, by: str, text: str | None = None) -> None:
        """Make `converted` (a checked 8 kHz WAV) what prompt `name` plays, keeping the default for reset."""
        target, meta = self.path(name), prompts.meta_path(self.folder, name)
        with _lock:
            meta.parent.mkdir(parents=True, exist_ok=True)
            saved = prompts.saved_default_path(self.folder, name)
            if not meta.exists() and target.is_file() and not saved.exists():
                prompts.replace_atomically(target, saved)
            record = {"source": source, "text": text, "updated_by": by, "updated_at": round(time.time(), 3)}
            _write_json(meta, record)   # first: from now on set-up builds this default aside, not over it
            prompts.replace_atomically(converted, target)

    def upload(self, name: str, recording: Path, *, by: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            converted = Path(tmp) / "converted.wav"
            audio.prepare(recording, converted)
            self.install(name, converted, source=UPLOADED, by=by)

    def synthesise(self, name: str, text: str, *, by: str) -> None:
        text = audio.check_text(text)
        with tempfile.TemporaryDirectory() as tmp:
            spoken, converted = Path(tmp) / "tts.wav", Path(tmp) / "converted.wav"
            prompts.synthesise(text, spoken)
            audio.prepare(spoken, converted)
            self.install(name, converted, source=REGENERATED, by=by, text=text)

    def reset(self, name: str) -> bool:
        """Back to the default (the saved file, else synthesised from prompts.yaml). False: already default."""
        meta, saved, target = prompts.meta_path(self.folder, name), prompts.saved_default_path(self.folder, name), \
            self.path(name)
        if not meta.exists() and target.is_file():
            return False
        text = self.defaults().get(name)
        if text is None and not saved.is_file():
            raise PromptNotFound(f"提示音 {name} 没有默认文本（prompts.yaml 中没有），无法恢复默认 / "
                                 f"prompt {name!r} has no default text in prompts.yaml to reset to")
        with _lock:
            if saved.is_file():
                os.replace(saved, target)
            else:
                prompts.synthesise(text or "", target)
            meta.unlink(missing_ok=True)
        return True


def _write_json(path: Path, value: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(value, out, ensure_ascii=False)
    os.replace(tmp, path)
