"""Unit fixtures for hotline.agents: a small users.yaml with cheap hashes and a bare runtime on the shared
unit Redis (`unit_redis`, tests/unit/conftest.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from hotline.runtime import Features

from agents_users import UNIT_LINES, write_users


@pytest.fixture
def users_yaml(tmp_path, monkeypatch):
    path = write_users(tmp_path / "users.yaml")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return path


@pytest.fixture
def runtime(unit_redis):
    return SimpleNamespace(redis=unit_redis, settings=None, ami=None, features=Features(), lines=UNIT_LINES)
