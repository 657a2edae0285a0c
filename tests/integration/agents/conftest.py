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


SERVE = ("import asyncio; from hotline.core.config import Settings; from hotline.core.logging import setup_logging; "
         "from hotline.runtime import serve; setup_logging(); asyncio.run(serve(Settings()))")


@pytest.fixture
def agents_controller(settings, pbx, redis, tmp_path):
    """The controller process (what `hotline serve` runs: hotline.runtime.serve) for this instance;
    Redis was emptied first by the `redis` fixture."""
    log_path = tmp_path / "controller.log"
    proc = subprocess.Popen([sys.executable, "-c", SERVE], cwd=PROJECT_DIR, stdout=open(log_path, "ab"),
                            stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://{settings.http_host}:{settings.http_port}/login"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, f"controller exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"controller not serving after 60 s: {log_path}"
        time.sleep(0.2)
    yield proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


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
