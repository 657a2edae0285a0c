"""Alert delivery: WebSocket broadcast to supervisors and webhooks (JSON POST, retried with backoff).

Nothing here may hold up alerting: a slow WebSocket is dropped after a short timeout and webhook
deliveries run as their own tasks, bounded in number.
"""
from __future__ import annotations

import asyncio
import json
import logging

import httpx

from hotline.core.logging import log_event
from hotline.supervision.config import Webhooks

log = logging.getLogger("hotline.supervision.notifier")
SEND_TIMEOUT_S = 2.0
MAX_PENDING_DELIVERIES = 1000


class WebSocketHub:
    def __init__(self) -> None:
        self.clients: set = set()

    def add(self, websocket) -> None:
        self.clients.add(websocket)

    def remove(self, websocket) -> None:
        self.clients.discard(websocket)

    async def broadcast(self, message: dict) -> int:
        if not self.clients:
            return 0
        text = json.dumps(message, ensure_ascii=False)
        clients = list(self.clients)
        results = await asyncio.gather(*(self._send(ws, text) for ws in clients))
        return sum(results)

    async def _send(self, websocket, text: str) -> bool:
        try:
            await asyncio.wait_for(websocket.send_text(text), SEND_TIMEOUT_S)
            return True
        except Exception:  # gone or stuck: drop it; the page reconnects and re-reads /api/alerts
            self.clients.discard(websocket)
            return False


class WebhookSender:
    def __init__(self, settings: Webhooks, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client
        self._tasks: set[asyncio.Task] = set()
        self.delivered = 0
        self.failed = 0

    def submit(self, payload: dict) -> None:
        """Queue delivery of `payload` to every URL and return at once."""
        if self.settings.urls and self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.timeout_s)
        for url in self.settings.urls:
            if len(self._tasks) >= MAX_PENDING_DELIVERIES:
                log_event(log, "webhook backlog full, delivery dropped", logging.WARNING, url=url,
                          alert_id=payload.get("alert_id"))
                self.failed += 1
                continue
            task = asyncio.create_task(self._deliver(url, payload), name=f"webhook {url}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, payload: dict) -> bool:
        s, client = self.settings, self._client
        error = ""
        for attempt in range(1, s.max_attempts + 1):
            try:
                response = await client.post(url, json=payload, timeout=s.timeout_s)
                if response.status_code < 300:
                    self.delivered += 1
                    return True
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            if attempt < s.max_attempts:
                await asyncio.sleep(s.backoff_s * 2 ** (attempt - 1))
        self.failed += 1
        log_event(log, "webhook delivery failed", logging.WARNING, url=url, attempts=s.max_attempts,
                  error=error, alert_id=payload.get("alert_id"))
        return False

    async def drain(self, timeout: float = 5.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
