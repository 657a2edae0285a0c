"""Integration fixtures for tickets: the shared project Redis (AOF on) that a test
may SHUTDOWN and start again, a flushed redis.asyncio client per test, and the real sherpa-onnx model."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis.asyncio as aioredis

from hotline.core.config import Settings
from hotline.core.redis_server import RedisServer

from helpers import empty_hotline

TEST_WAVS = Settings().asr_model_dir / "test_wavs"


@pytest.fixture(scope="session")
def tickets_redis_server(redis_server):
    """The shared project Redis (tests/conftest.py `redis_server`, one per HOTLINE_REDIS_PORT), with
    start/shutdown for restart tests."""
    server = RedisServer(Settings())
    return SimpleNamespace(url=redis_server, start=server.up, shutdown=server.down)


@pytest.fixture
async def tickets_redis(tickets_redis_server, settings):
    client = aioredis.from_url(tickets_redis_server.url, decode_responses=True)
    await empty_hotline(client, settings)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def sherpa_engine():
    from asr.engines import load_engine
    from hotline.tickets.taxonomy import spotting_keywords

    if not TEST_WAVS.is_dir():
        pytest.skip(f"no model test_wavs at {TEST_WAVS}")
    return load_engine(Settings(asr_engine="sherpa-onnx"), keywords=spotting_keywords())


@pytest.fixture(scope="session")
def whisper_engine():
    """The 汉字 engine (whisper-base from `hotline models install whisper-base`); skipped when not installed."""
    from asr.engines import load_engine
    from asr.engines.whisper import whisper_model_dir
    from hotline.tickets.taxonomy import spotting_keywords

    model_dir = whisper_model_dir(Settings())
    if not (model_dir / "model.bin").is_file():
        pytest.skip(f"needs the whisper-base model at {model_dir}: run `hotline models install whisper-base`")
    return load_engine(Settings(), keywords=spotting_keywords(), name="whisper")
