"""Config files written by the admin console: validated first, replaced atomically, the previous kept.

The YAML files stay the one source of truth (the CLI, `hotline config check` and the controller read them);
an admin edit rewrites the whole file: the leading comment block is kept, comments inside the data are not
(the schema modules document every field). The previous version is kept as `<name>.prev` for a manual undo.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml


def leading_comments(path: Path) -> str:
    """The comment block at the top of the file (the file's own documentation), if any."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    head = []
    for line in text.splitlines():
        if not line.startswith("#") and line.strip():
            break
        head.append(line)
    return "\n".join(head).rstrip() + "\n" if any(h.startswith("#") for h in head) else ""


def write_yaml(path: Path, data: Any, flow: bool | None = None) -> None:
    """Replace `path` with `data` as YAML (Chinese kept readable): temp file, fsync, rename; the old file
    becomes `<name>.prev`. Permissions of the old file are kept (users.yaml holds password hashes).
    `flow`: PyYAML's default_flow_style (None: lists of plain values on one line, False: block style only)."""
    path = Path(path)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=flow, width=110)
    text = leading_comments(path) + body
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    if path.exists():
        shutil.copy2(path, path.with_name(path.name + ".prev"))
    tmp.replace(path)
