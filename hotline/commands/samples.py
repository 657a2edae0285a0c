"""Real recordings for the demo call (`hotline call --sample LINE`), from config/samples.yaml."""
from __future__ import annotations

from pathlib import Path

import yaml

from hotline.core.config import CONFIG_DIR
from ivr.menus.schema import QueueAction
from ivr.menus.store import MenuError, load_menu_file

SAMPLES_FILE = CONFIG_DIR / "samples.yaml"
MENU_FILE = CONFIG_DIR / "menus.yaml"


class SampleError(ValueError):
    """No usable sample for the line; the message says where we looked."""


def sample_clip(settings, line: str, samples_file: Path = SAMPLES_FILE) -> Path:
    """The first existing clip listed for `line`."""
    try:
        table = yaml.safe_load(samples_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SampleError(f"{samples_file}: {exc}") from exc
    clips = table.get(line)
    if not isinstance(clips, list) or not clips:
        raise SampleError(f"no sample for line {line!r} in {samples_file} (lines: {', '.join(sorted(table))})")
    tried = []
    for entry in clips:
        entry = str(entry)
        path = (Path(settings.asr_model_dir) / entry[6:] if entry.startswith("model:")
                else Path(settings.samples_dir) / entry)
        if path.is_file():
            return path
        tried.append(str(path))
    raise SampleError(f"none of the samples for {line!r} exists (tried {', '.join(tried)}); "
                      "set HOTLINE_SAMPLES_DIR or pass --audio FILE.wav")


def menu_key_for(line: str, menu_file: Path = MENU_FILE) -> str | None:
    """The key of the start menu that queues the caller on `line` (None: the line is reached by waiting)."""
    try:
        tree = load_menu_file(menu_file)
    except MenuError:
        return None
    menu = tree.menus[tree.start]
    keys = [key for key, action in menu.keys.items() if isinstance(action, QueueAction) and action.queue == line]
    return keys[0] if keys else None
