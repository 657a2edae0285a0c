"""Plain helpers shared by unit and integration tests (fixtures live in the conftest.py files).

Tests import it as `from helpers import ...`: pytest puts tests/ on sys.path for tests/conftest.py (no
__init__.py anywhere under tests/, the default "prepend" import mode)."""
from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import uvicorn
import websockets

from hotline.core.config import CONFIG_DIR
from hotline.core.lines import LineCatalogue, load_lines

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"   # screenshots the browser tests leave to look at


def shipped_lines() -> LineCatalogue:
    """The line catalogue as shipped (config/queues.yaml)."""
    return load_lines(CONFIG_DIR / "queues.yaml")


async def eventually(check, timeout: float, what: str = "condition", interval: float = 0.05):
    """Poll `check` (a function or a coroutine function) until it returns something truthy; return that.
    Fails the test with "timed out waiting for {what}" after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(interval)


def new_caller() -> str:
    """A random mobile number, so each call's journal is found by its caller id."""
    return f"138{random.randrange(10**8):08d}"


@asynccontextmanager
async def serving(app, port: int) -> AsyncIterator[int]:
    """uvicorn serving `app` on 127.0.0.1:`port` in this event loop, up within 10 s; yields the port."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started, 10, "uvicorn")
        yield port
    finally:
        server.should_exit = True
        await task


class WebhookReceiver(ThreadingHTTPServer):
    """Webhook endpoint on 127.0.0.1 in its own thread (it answers whether or not the test's event loop
    runs, e.g. POSTs from the controller process). `received`: (arrival time, JSON body) of each accepted
    POST; the first `fail_first` POSTs are answered HTTP 500 and only counted in `attempts`.

        with WebhookReceiver().start() as receiver: ... receiver.url ...
    """

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[float, dict]] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.lock = threading.Lock()   # one handler thread per POST
        super().__init__(("127.0.0.1", 0), _WebhookHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hotline-alerts"

    def start(self) -> "WebhookReceiver":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class _WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        receiver = self.server
        with receiver.lock:
            receiver.attempts += 1
            accepted = receiver.attempts > receiver.fail_first
            if accepted:
                receiver.received.append((time.time(), json.loads(body)))
        self.send_response(204 if accepted else 500)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


# -- supervision: the supervisor's WebSocket and wallboard -------------------------------------------------
@asynccontextmanager
async def websocket_messages(url: str) -> AsyncIterator[list[tuple[float, dict]]]:
    """Every JSON message of the WebSocket at `url` with its arrival time, from the first (hello) on."""
    messages: list[tuple[float, dict]] = []

    async def listen():
        async with websockets.connect(url) as ws:
            async for text in ws:
                messages.append((time.time(), json.loads(text)))
    listener = asyncio.create_task(listen())
    try:
        await eventually(lambda: messages, 10, "WebSocket hello")
        yield messages
    finally:
        listener.cancel()


def queue_alerts(ws_messages, queue: str = "tourism") -> list[tuple[float, dict]]:
    """(arrival time, alert) of the queue's alerts among /ws/supervisor messages."""
    return [(t, m["alert"]) for t, m in ws_messages if m["type"] == "alert" and m["alert"]["queue"] == queue]


async def screenshot_wallboard(browser, base_url: str, token: str, path: Path) -> tuple[str, int]:
    """The wallboard as the supervisor sees it, once the tourism card shows a warning: saved to `path`;
    returns the card's text and its callers-waiting number."""
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{base_url}/static/wallboard.css")   # same origin for localStorage, no redirect
    await page.evaluate("token => localStorage.setItem('hotline_token', token)", token)
    await page.goto(f"{base_url}/wallboard")
    card = page.locator('article.queue.warning[data-queue="tourism"]')
    await card.wait_for(timeout=15000)
    await page.wait_for_timeout(500)
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    text, waiting = await card.inner_text(), await card.locator('[data-k="callers_waiting"]').inner_text()
    await page.close()
    return text, int(waiting)


async def empty_hotline(client, settings) -> None:
    """An empty Redis database, and no dialplan fallback notes in this instance's AstDB: a controller still
    running would otherwise journal and ticket those notes again into the emptied database."""
    from hotline.pbx import sandbox

    await client.flushdb()
    pbx = sandbox(settings)
    if pbx.running():
        await asyncio.to_thread(pbx.cli, "database deltree hotline_fallback")
