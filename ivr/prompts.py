"""Voice prompts: default Mandarin prompts synthesised at set-up, replaceable by admins' recordings.

Prompts live in the instance's sounds directory inside the Asterisk root as 8 kHz mono 16-bit WAV,
named by a safe name (no path, no whitespace) because the name ends up inside an AGI command line.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import Field, RootModel, ValidationError

from hotline.core.config import Settings, get_settings
from ivr.menus.schema import PROMPT_NAME

_NAME = re.compile(PROMPT_NAME)


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


def names_in(folder: Path) -> set[str]:
    """Prompts with a file in `folder` (scratch files of a change in progress start with '.': not prompts)."""
    return {p.stem for p in folder.glob("*.wav") if _NAME.fullmatch(p.stem)} if folder.is_dir() else set()


def available(settings: Settings) -> set[str]:
    return names_in(sounds_dir(settings))


# An admin's prompt (uploaded or re-synthesised from new text) has a metadata file in CUSTOM_DIR; the default
# it replaced is kept there too, so "reset" gets it back and set-up never overwrites the admin's file.
CUSTOM_DIR = ".custom"


def meta_path(folder: Path, name: str) -> Path:
    return folder / CUSTOM_DIR / f"{check_name(name)}.json"


def saved_default_path(folder: Path, name: str) -> Path:
    return folder / CUSTOM_DIR / f"{check_name(name)}.default.wav"


def replace_atomically(source: Path, target: Path) -> None:
    """Copy `source` over `target` by a rename in the target's folder: Asterisk opens the file at each
    playback, so a call starting meanwhile gets the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".wav")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)   # Asterisk may run as another user (the compose stack)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_telephone_wav(source: Path, target: Path) -> None:
    """Any audio sox reads → 8 kHz mono 16-bit WAV at `target` (a scratch file: callers move it in place)."""
    result = subprocess.run(["sox", str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                             str(target)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        reason = (result.stderr.strip() or "sox failed").replace(str(source.parent) + "/", "")
        raise PromptError(f"cannot convert {source.name}: {reason}")


def synthesise(text: str, target: Path) -> None:
    """Mandarin text → prompt file at `target`, replaced atomically."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise PromptError("espeak-ng and sox are needed for default prompts: apt-get install espeak-ng sox")
    with tempfile.TemporaryDirectory() as tmp:
        words, raw, converted = Path(tmp) / "text.txt", Path(tmp) / "tts.wav", Path(tmp) / "out.wav"
        words.write_text(text, encoding="utf-8")   # from a file: a text starting with '-' is no option
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", "240", "-w", str(raw), "-f", str(words)], check=True,
                       capture_output=True, timeout=60)
        to_telephone_wav(raw, converted)
        replace_atomically(converted, target)


def build_defaults(settings: Settings, *, force: bool = False, folder: Path | None = None) -> list[str]:
    """Synthesise missing default prompts. Returns names built. Where an admin replaced a prompt, its default
    is (re)built aside for a later reset, never over the admin's file."""
    folder = folder or sounds_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    built = []
    for name, text in default_texts(settings.prompts_file).items():
        custom = meta_path(folder, name).exists()
        target = saved_default_path(folder, name) if custom else folder / f"{name}.wav"
        if target.exists() and not force:
            continue
        synthesise(text, target)
        built.append(name)
    return built
