"""The supervisor's record of the processes it keeps running (state dir `supervisor.json`), for status and metrics."""
from __future__ import annotations

import json
from pathlib import Path

STATE_FILE = "supervisor.json"


def read_state(state_dir: Path) -> dict:
    """{'controller': {'restarts': 2, 'pid': ..., ...}, ...}, or {} when no supervisor ran here."""
    try:
        return json.loads((Path(state_dir) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
