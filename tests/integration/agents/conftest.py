"""The real controller (`hotline serve`) and an ASR worker for the screen-pop end-to-end test
(`chromium` is in tests/integration/conftest.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hotline.core.config import PROJECT_DIR


@pytest.fixture
def agents_controller(controller, redis):
    """The shared controller process (tests/integration/conftest.py), on a Redis emptied by `redis`."""
    return controller


@pytest.fixture
def asr_worker(settings, redis_server, tmp_path):
    """`hotline asr worker`: transcribes recordings onto draft tickets (one process)."""
    log = open(tmp_path / "asr-worker.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "asr", "worker"], cwd=PROJECT_DIR,
                            stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    yield proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
