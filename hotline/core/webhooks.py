"""Webhooks for every feature: each payload is POSTed as JSON to every configured URL.

`submit` never blocks the caller: each delivery runs as its own task, retried with exponential backoff
(backoff, 2×, 4× …). At most `max_pending` deliveries wait at once; beyond that a delivery is dropped,
counted as failed and logged. URLs are logged without credentials or query string (they may carry tokens).
"""
from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.core.logging import log_event

log = logging.getLogger("hotline.webhooks")
MAX_PENDING_DELIVERIES = 1000


class WebhookConfig(BaseModel):
    """The `webhooks:` block of a feature's YAML file (users.yaml, overflow.yaml)."""
    model_config = ConfigDict(extra="forbid")
    urls: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=0.5, gt=0, le=60)   # doubles after each failed attempt

    @field_validator("urls")
    @classmethod
    def _http(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"webhook URL must start with http:// or https://: {url!r}")
        return urls


def loggable_url(url: str) -> str:
    """scheme://host:port/path: no user:password, no query (tokens live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


class WebhookSender:
    def __init__(self, config: WebhookConfig, client: httpx.AsyncClient | None = None, *,
                 name: str = "webhooks", max_pending: int = MAX_PENDING_DELIVERIES) -> None:
        self.config = config
        self.name = name                      # which feature: a field of every log line
        self.max_pending = max_pending
        self._client = client
        self._tasks: set[asyncio.Task] = set()
        self.delivered = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        return bool(self.config.urls)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout_seconds)
        return self._client

    def submit(self, payload: dict, **log_fields) -> None:
        """Queue delivery of `payload` to every URL and return at once; `log_fields` go on failure logs."""
        for url in self.config.urls:
            if len(self._tasks) >= self.max_pending:
                self.failed += 1
                log_event(log, "webhook backlog full, delivery dropped", logging.WARNING, feature=self.name,
                          url=loggable_url(url), **log_fields)
                continue
            task = asyncio.create_task(self.deliver(url, payload, **log_fields), name=f"{self.name} webhook")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def deliver(self, url: str, payload: dict, **log_fields) -> bool:
        """POST until a 2xx answer or `max_attempts` tries; True if delivered."""
        attempts, error = self.config.max_attempts, ""
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http().post(url, json=payload, timeout=self.config.timeout_seconds)
                if response.status_code < 300:
                    self.delivered += 1
                    return True
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            if attempt < attempts:
                await asyncio.sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
        self.failed += 1
        log_event(log, "webhook delivery failed", logging.WARNING, feature=self.name, url=loggable_url(url),
                  attempts=attempts, error=error, **log_fields)
        return False

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (at most `timeout` s) for the deliveries under way."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def close(self) -> None:
        """Cancel what is still pending and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
