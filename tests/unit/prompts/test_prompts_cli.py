"""`hotline prompts upload/tts/reset` go through the same service as the page: same checks, audited as the
OS user from "cli"."""
from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from typer.testing import CliRunner

from hotline.admin import audit
from hotline.cli import app
from hotline.commands import prompts as command

from prompt_audio import tone


def test_cli_changes_are_checked_and_audited(prompt_settings, unit_redis_socket, tmp_path, monkeypatch):
    monkeypatch.setattr(command, "get_settings", lambda: prompt_settings)

    def with_redis(operation):
        async def run():
            client = aioredis.Redis(unix_socket_path=str(unit_redis_socket), decode_responses=True)
            try:
                return await operation(client)
            finally:
                await client.aclose()
        return asyncio.run(run())
    monkeypatch.setattr(command, "run_with_redis", with_redis)
    with_redis(lambda client: client.flushdb())
    cli = CliRunner()

    refused = cli.invoke(app, ["prompts", "upload", "welcome", str(tone(tmp_path / "s.wav", 0.1))])
    assert refused.exit_code == 2 and "录音太短" in refused.output
    assert cli.invoke(app, ["prompts", "upload", "../x", str(tmp_path / "s.wav")]).exit_code == 2
    done = cli.invoke(app, ["prompts", "upload", "welcome", str(tone(tmp_path / "ok.wav", 1.0))])
    assert done.exit_code == 0, done.output
    assert cli.invoke(app, ["prompts", "tts", "goodbye", "再会。"]).exit_code == 0
    assert cli.invoke(app, ["prompts", "reset", "welcome"]).exit_code == 0
    listed = cli.invoke(app, ["prompts", "list"]).output
    assert "welcome" in listed and "regenerated" in listed and "再会。" in listed

    async def actions(client):
        return [(e["action"], e["source"]) for e in await audit.entries(client)]
    assert with_redis(actions) == [("prompt.reset", "cli"), ("prompt.tts", "cli"), ("prompt.upload", "cli")]
