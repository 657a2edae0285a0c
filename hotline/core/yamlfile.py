"""The one way a config file is read: YAML from disk, or the feature's own error with a one-line reason.

Each config file has its own error class (LinesError, TaxonomyError, ...) so callers can tell which file
was wrong; the reading and the wording ("cannot read", "not valid YAML") are the same for all of them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path | str, error: type[Exception]) -> Any:
    """The parsed document (None for an empty file); `error("<path>: <reason>")` when it cannot be."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
