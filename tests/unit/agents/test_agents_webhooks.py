import asyncio
import time

import httpx

from hotline.agents.users import WebhookConfig
from hotline.agents.webhooks import WebhookSender


def sender_with(responses, **config):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(responses.pop(0) if responses else 200)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    cfg = WebhookConfig(urls=["http://127.0.0.1:9/hook"], backoff_seconds=0.01, **config)
    return WebhookSender(cfg, client), seen


async def test_retries_with_backoff_until_accepted():
    sender, seen = sender_with([500, 503])
    assert await sender.deliver("http://127.0.0.1:9/hook", {"event": "screen_pop"})
    assert len(seen) == 3 and sender.delivered == 1


async def test_gives_up_after_max_attempts():
    sender, seen = sender_with([500] * 10, max_attempts=3)
    assert not await sender.deliver("http://127.0.0.1:9/hook", {"event": "screen_pop"})
    assert len(seen) == 3 and sender.failed == 1


async def test_submit_never_blocks_and_worker_posts_json():
    sender, seen = sender_with([])
    start = time.perf_counter()
    for n in range(5):
        sender.submit("screen_pop", {"agent": "agent1", "id": str(n)})
    assert time.perf_counter() - start < 0.05
    worker = asyncio.create_task(sender.run())
    while sender.delivered < 5:
        await asyncio.sleep(0.01)
    worker.cancel()
    body = seen[0].read().decode()
    assert '"event":"screen_pop"' in body.replace(" ", "") and '"agent":"agent1"' in body.replace(" ", "")


def test_disabled_without_urls():
    sender = WebhookSender(WebhookConfig())
    sender.submit("screen_pop", {})
    assert sender.queue.empty()
