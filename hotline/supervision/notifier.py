"""Alert delivery to the wallboard: WebSocket broadcast to supervisors (webhooks: hotline.core.webhooks).

Nothing here may hold up alerting: a slow WebSocket is dropped after a short timeout.
"""
from __future__ import annotations

import asyncio
import json
import logging

from hotline.core.logging import log_event

log = logging.getLogger("hotline.supervision.notifier")
SEND_TIMEOUT_S = 2.0


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
