"""A throwaway instance's prompts: a small prompts.yaml and its sounds folder under tmp_path, defaults built by
the real TTS (espeak-ng) and converted by the real sox."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hotline.core.config import Settings
from hotline.prompts.store import PromptStore
from ivr import prompts

sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))   # agents_users: the test users and lines
from agents_users import write_users  # noqa: E402

TEXTS = {"welcome": "您好，这里是测试热线。", "goodbye": "再见。"}


def _settings(folder) -> Settings:
    texts = folder / "prompts.yaml"
    texts.write_text("".join(f"{k}: {v}\n" for k, v in TEXTS.items()), encoding="utf-8")
    return Settings(pbx_root=folder / "root", prompts_file=texts, instance="unit")


@pytest.fixture(scope="session")
def built_defaults(tmp_path_factory):
    """The defaults synthesised once per session (espeak-ng), copied for each test."""
    if not (shutil.which("sox") and shutil.which("espeak-ng")):
        pytest.skip("sox and espeak-ng are needed")
    settings = _settings(tmp_path_factory.mktemp("prompt-defaults"))
    prompts.build_defaults(settings)
    return prompts.sounds_dir(settings)


@pytest.fixture
def prompt_settings(tmp_path, built_defaults):
    settings = _settings(tmp_path)
    shutil.copytree(built_defaults, prompts.sounds_dir(settings))
    return settings


@pytest.fixture
def store(prompt_settings) -> PromptStore:
    return PromptStore(prompt_settings)


@pytest.fixture
def users(tmp_path, monkeypatch):
    """users.yaml with agent1, supervisor and admin (passwords: agents_users.PASSWORDS)."""
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(write_users(tmp_path / "users.yaml")))
