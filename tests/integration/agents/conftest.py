"""The real controller (`hotline serve`), an ASR worker and Chromium for the screen-pop end-to-end test."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

import pytest

from hotline.core.config import PROJECT_DIR

CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture
async def chromium():
    api = pytest.importorskip("playwright.async_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed")
    async with api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        await browser.close()
