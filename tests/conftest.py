"""Shared fixtures. Integration tests get the real sandbox: Asterisk (chroot) and Redis on this instance's ports.

Fixtures: settings, pbx, redis_server, redis, sipp, free_port, chromium. Everything a fixture starts, it stops;
a sandbox that was already running before the session is left running.
"""
from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from hotline.core.config import Settings
from hotline.core.redis_server import RedisServer
from hotline.pbx import sandbox as hotline_sandbox
from telephony.pbx import PbxSandbox
from telephony.sipp import SippFactory

# What a test needs, known from the fixtures it uses directly or through other fixtures (markers declared in
# pyproject.toml): `scripts/test -m "not pbx"` runs everything that needs no Asterisk.
NEEDS = {
    "pbx": {"pbx"},  # the Asterisk sandbox (sipp, controller... all start from it)
    "redis": {"redis_server", "unit_redis_socket"},  # a redis-server: the instance's, or a throwaway one
    "browser": {"chromium"},
    "model": {"sherpa_model_dir", "vosk_ko_model_dir", "wavs_8k", "sherpa_engine", "asr_worker", "hotword_worker"},
}


def pytest_collection_modifyitems(items):
    """Everything under tests/integration/ needs the sandbox: mark it so `-m "not integration"` skips it;
    then the dependency markers from each test's fixtures."""
    for item in items:
        if f"{Path('tests', 'integration')}" in str(item.path):
            item.add_marker(pytest.mark.integration)
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in NEEDS.items():
            if used & fixtures:
                item.add_marker(marker)


def _free_port(kind: str = "tcp") -> int:
    sock_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, sock_type) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def free_port() -> Callable[..., int]:
    """`free_port()` → a free TCP port on 127.0.0.1; `free_port("udp")` → a free UDP port."""
    return _free_port


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings from the environment (HOTLINE_* variables pick this instance's ports)."""
    return Settings()


@pytest.fixture(scope="session")
def pbx(settings):
    """This instance's Asterisk sandbox, up and AMI-ready; a PbxSandbox."""
    sandbox = hotline_sandbox(settings)
    started = sandbox.up()
    yield sandbox
    if started:
        sandbox.down()


@pytest.fixture(scope="session")
def redis_server(settings):
    """This instance's Redis server (AOF on); yields its URL."""
    server = RedisServer(settings)
    started = server.up()
    yield server.url
    if started:
        server.down()


@pytest.fixture
async def redis(redis_server, settings):
    """A redis.asyncio client (decode_responses=True) on an empty database."""
    from helpers import empty_hotline

    client = aioredis.from_url(redis_server, decode_responses=True)
    await empty_hotline(client, settings)
    yield client
    await client.aclose()


@pytest.fixture
def sipp(settings, pbx, tmp_path):
    """SippFactory for this instance: `sipp.caller("12345", digits="9")`, `sipp.agent_phone(1)`.

    Every SIPp it started is killed at teardown (their logs stay in tmp_path/sipp), and the PBX
    channels of calls killed mid-call are hung up so they cannot leak into the next test.
    """
    factory = SippFactory(settings.sip_port, settings.agent_phone_base_port, tmp_path / "sipp")
    yield factory
    unfinished = factory.close()
    if unfinished and pbx.running():
        hang_up_callers(pbx, set(unfinished))


def hang_up_callers(pbx: PbxSandbox, caller_ids: set[str]) -> None:
    for line in pbx.cli("core show channels concise").splitlines():
        fields = line.split("!")
        if len(fields) > 7 and fields[7] in caller_ids:
            pbx.cli(f"channel request hangup {fields[0]}")


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
async def chromium():
    """A headless Chromium browser (Playwright, the system binary; never `playwright install`)."""
    api = pytest.importorskip("playwright.async_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed")
    async with api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        await browser.close()
