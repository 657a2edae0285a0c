"""Optional webhooks: each screen-pop / ticket-submitted event is POSTed as JSON to the configured URLs.

`submit` only enqueues (never blocks the pop); a background worker posts with retries and exponential
backoff. A full queue drops the oldest event with a log line rather than growing without bound.
"""
from __future__ import annotations

import asyncio
import logging
import time

import httpx

from hotline.agents.users import WebhookConfig
from hotline.core.logging import log_event

log = logging.getLogger("hotline.agents.webhooks")
QUEUE_LIMIT = 1000


class WebhookSender:
    def __init__(self, config: WebhookConfig, client: httpx.AsyncClient | None = None):
        self.config = config
        self.queue: asyncio.Queue[dict] = asyncio.Queue(QUEUE_LIMIT)
        self.client = client or httpx.AsyncClient(timeout=config.timeout_seconds)
        self.delivered = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        return bool(self.config.urls)

    def submit(self, event: str, payload: dict) -> None:
        if not self.enabled:
            return
        body = {"event": event, "at": round(time.time(), 3), **payload}
        if self.queue.full():
            self.queue.get_nowait()
            log_event(log, "webhook queue full, oldest event dropped", level=logging.WARNING)
        self.queue.put_nowait(body)

    async def run(self) -> None:
        while True:
            body = await self.queue.get()
            await asyncio.gather(*(self.deliver(url, body) for url in self.config.urls))

    async def deliver(self, url: str, body: dict) -> bool:
        delay = self.config.backoff_seconds
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                response = await self.client.post(url, json=body)
                if response.status_code < 300:
                    self.delivered += 1
                    return True
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            if attempt < self.config.max_attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self.failed += 1
        log_event(log, "webhook delivery failed", level=logging.WARNING, url=url, event=body.get("event"),
                  attempts=self.config.max_attempts, error=error)
        return False
