"""The one webhook sender (hotline.core.webhooks) behind agents' screen-pop hooks and supervision alerts."""
import asyncio
import json
import logging
import time

import httpx
import pytest
from pydantic import ValidationError

from hotline.core.webhooks import WebhookConfig, WebhookSender, loggable_url

URL = "http://127.0.0.1:9/hook"


def sender_with(responses, urls=(URL,), **config):
    """A sender whose HTTP client answers the given status codes in turn (then 200), recording requests."""
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(responses.pop(0) if responses else 200)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    cfg = WebhookConfig(urls=list(urls), backoff_seconds=0.01, **config)
    return WebhookSender(cfg, client), seen


async def test_retries_with_backoff_until_accepted():
    sender, seen = sender_with([500, 503])
    assert await sender.deliver(URL, {"event": "screen_pop"})
    assert len(seen) == 3 and sender.delivered == 1


async def test_gives_up_after_max_attempts():
    sender, seen = sender_with([500] * 10, max_attempts=3)
    assert not await sender.deliver(URL, {"event": "screen_pop"})
    assert len(seen) == 3 and sender.failed == 1


async def test_backoff_doubles_between_attempts(monkeypatch):
    sleeps = []

    async def fake_sleep(seconds):
        sleeps.append(seconds)
    sender, _ = sender_with([500] * 10, max_attempts=4)
    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    await sender.deliver(URL, {})
    assert sleeps == [0.01, 0.02, 0.04]


async def test_network_errors_are_retried():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(204)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sender = WebhookSender(WebhookConfig(urls=[URL], backoff_seconds=0.01), client)
    assert await sender.deliver(URL, {}) and len(calls) == 2


async def test_submit_never_blocks_and_posts_json_to_every_url():
    sender, seen = sender_with([], urls=(URL, "http://127.0.0.1:9/other"))
    start = time.perf_counter()
    for n in range(5):
        sender.submit({"event": "screen_pop", "agent": "agent1", "id": str(n)})
    assert time.perf_counter() - start < 0.05
    await sender.drain()
    assert sender.delivered == 10 and sender.pending == 0
    body = json.loads(seen[0].read())
    assert body["event"] == "screen_pop" and body["agent"] == "agent1"
    assert {str(r.url) for r in seen} == {URL, "http://127.0.0.1:9/other"}


async def test_disabled_without_urls():
    sender = WebhookSender(WebhookConfig())
    sender.submit({"event": "screen_pop"})
    assert not sender.enabled and sender.pending == 0 and sender._client is None


async def test_full_backlog_drops_and_counts_failed(caplog):
    release = asyncio.Event()

    async def handler(request):
        await release.wait()
        return httpx.Response(200)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sender = WebhookSender(WebhookConfig(urls=[URL]), client, max_pending=2)
    with caplog.at_level(logging.WARNING, "hotline.webhooks"):
        for n in range(3):
            sender.submit({"n": n}, alert_id=f"a{n}")
    assert sender.pending == 2 and sender.failed == 1
    assert "backlog full" in caplog.text
    release.set()
    await sender.drain()
    assert sender.delivered == 2


async def test_failure_log_names_feature_and_hides_secrets(caplog):
    sender, _ = sender_with([500] * 5, urls=("https://user:pw@127.0.0.1:9/hook?token=s3cret",), max_attempts=2)
    sender.name = "supervision"
    with caplog.at_level(logging.WARNING, "hotline.webhooks"):
        sender.submit({"alert_id": "tourism:waiting"}, alert_id="tourism:waiting")
        await sender.drain()
    record = next(r for r in caplog.records if r.getMessage() == "webhook delivery failed")
    assert record.fields == {"feature": "supervision", "url": "https://127.0.0.1:9/hook", "attempts": 2,
                             "error": "HTTP 500", "alert_id": "tourism:waiting"}
    logged = caplog.text + "".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "s3cret" not in logged and "user:pw" not in logged


def test_loggable_url():
    assert loggable_url("http://a:b@host:8080/p/q?x=1#f") == "http://host:8080/p/q"
    assert loggable_url("https://host/hook") == "https://host/hook"


async def test_close_cancels_pending_deliveries():
    async def handler(request):
        await asyncio.sleep(10)
        return httpx.Response(200)
    sender = WebhookSender(WebhookConfig(urls=[URL]), httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    sender.submit({})
    await asyncio.sleep(0)
    await sender.close()
    assert sender.pending == 0 and sender.delivered == 0


@pytest.mark.parametrize("bad", [
    {"urls": ["ftp://x"]}, {"timeout_seconds": 0}, {"timeout_seconds": 31}, {"max_attempts": 0},
    {"max_attempts": 21}, {"backoff_seconds": 0}, {"backoff_seconds": 61}, {"typo": 1},
])
def test_config_rejects(bad):
    with pytest.raises(ValidationError):
        WebhookConfig(**bad)
