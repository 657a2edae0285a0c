"""Voice prompts: default Mandarin prompts synthesised at set-up, replaceable by admins' recordings.

Prompts live in the instance's sounds directory inside the Asterisk root as 8 kHz mono 16-bit WAV,
named by a safe name (no path, no whitespace) because the name ends up inside an AGI command line.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import Field, RootModel, ValidationError

from hotline.core.config import Settings, get_settings
from ivr.menus.schema import PROMPT_NAME

_NAME = re.compile(PROMPT_NAME)
ADMIN_MARK = ".admin"  # marker file: this prompt is an admin's recording, do not overwrite with TTS
MIN_SECONDS, MAX_SECONDS = 0.3, 120.0  # shorter is a click or an empty file; longer no caller waits through


class PromptError(ValueError):
    pass


PromptName = Annotated[str, Field(pattern=PROMPT_NAME)]


class PromptTexts(RootModel[dict[PromptName, Annotated[str, Field(min_length=1, max_length=500)]]]):
    """config/prompts.yaml: prompt name -> the Mandarin text synthesised as its default."""


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise PromptError(f"invalid prompt name {name!r}: use lowercase letters, digits, '-' and '_' (max 64)")
    return name


def default_texts(path: Path | None = None) -> dict[str, str]:
    """prompts.yaml (`path`, default: the prompts_file setting) validated: name -> text."""
    path = path or get_settings().prompts_file
    try:
        texts = PromptTexts.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError) as exc:
        raise PromptError(f"{path}: cannot read ({exc})") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise PromptError(f"{path}: {problems}") from None
    return texts.root


def sounds_dir(settings: Settings) -> Path:
    """Host path of the instance's prompt directory."""
    return settings.host_path(settings.pbx_instance_dir / "sounds")


def agi_path(settings: Settings, name: str) -> str:
    """The prompt as Asterisk (inside the chroot) plays it: absolute, without extension."""
    return str(settings.pbx_instance_dir / "sounds" / check_name(name))


def available(settings: Settings) -> set[str]:
    folder = sounds_dir(settings)
    return {p.stem for p in folder.glob("*.wav")} if folder.is_dir() else set()


def _to_telephone_wav(source: Path, target: Path) -> None:
    """Any audio sox reads → 8 kHz mono 16-bit WAV, written atomically."""
    tmp = target.with_suffix(".tmp.wav")
    result = subprocess.run(["sox", str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                             str(tmp)], capture_output=True, text=True)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise PromptError(f"cannot convert {source.name}: {result.stderr.strip() or 'sox failed'}")
    try:
        _check_length(source, tmp)
    except PromptError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)


def _check_length(source: Path, converted: Path) -> None:
    try:
        with wave.open(str(converted)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError) as exc:
        raise PromptError(f"cannot read the converted {source.name}: {exc}") from exc
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise PromptError(f"{source.name} is {seconds:.2f} s long; a prompt must be {MIN_SECONDS:g}-{MAX_SECONDS:g} s "
                          "(the prompt was left as it was)")


def synthesise(text: str, target: Path) -> None:
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise PromptError("espeak-ng and sox are needed for default prompts: apt-get install espeak-ng sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tts.wav"
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", "240", "-w", str(raw), text], check=True,
                       capture_output=True)
        _to_telephone_wav(raw, target)


def build_defaults(settings: Settings, *, force: bool = False, folder: Path | None = None) -> list[str]:
    """Synthesise missing default prompts (never over an admin's recording). Returns names built."""
    folder = folder or sounds_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    built = []
    for name, text in default_texts(settings.prompts_file).items():
        target = folder / f"{name}.wav"
        if (folder / f"{name}{ADMIN_MARK}").exists() or (target.exists() and not force):
            continue
        synthesise(text, target)
        built.append(name)
    return built


def set_recording(settings: Settings, name: str, recording: Path) -> Path:
    """Install an admin's recording as prompt `name` (converted for Asterisk)."""
    check_name(name)
    if not recording.is_file():
        raise PromptError(f"recording {recording} does not exist")
    folder = sounds_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.wav"
    _to_telephone_wav(recording, target)
    (folder / f"{name}{ADMIN_MARK}").touch()
    return target


def reset_to_default(settings: Settings, name: str) -> None:
    folder = sounds_dir(settings)
    (folder / f"{check_name(name)}{ADMIN_MARK}").unlink(missing_ok=True)
    text = default_texts(settings.prompts_file).get(name)
    if text is None:
        raise PromptError(f"prompt {name!r} has no default text in config/prompts.yaml")
    synthesise(text, folder / f"{name}.wav")
