"""Supervision unit fixtures: a webhook receiver (Redis and the fake AMI server: tests/unit/conftest.py)."""
from __future__ import annotations

import asyncio
import json

import pytest


class WebhookReceiver:
    """Minimal HTTP/1.1 server recording JSON POST bodies; `fail_first` answers 500 that many times."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.port = 0
        self._server = None

    async def start(self) -> "WebhookReceiver":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alerts"

    async def _serve(self, reader, writer) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        body = await reader.readexactly(length)
        self.attempts += 1
        status = b"500 Internal Server Error" if self.attempts <= self.fail_first else b"200 OK"
        if status == b"200 OK":
            self.received.append(json.loads(body))
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def webhook_receiver():
    receiver = await WebhookReceiver(fail_first=1).start()
    yield receiver
    await receiver.stop()
