"""AmiManager: logs in, keeps the link alive (ping, reconnect with backoff) and dispatches events.

Asterisk does not replay events missed while the link was down, so every successful (re)login
runs the `on_connect` hooks: the place where consumers re-read the state they care about.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Callable, Iterable
from typing import Any

from hotline.core.logging import log_event
from telephony.ami.connection import AmiConnection
from telephony.ami.dispatch import EventDispatcher, Handler
from telephony.ami.errors import AmiActionError, AmiError, AmiLoginError, AmiNotConnected, AmiTimeout
from telephony.ami.message import Message

log = logging.getLogger("telephony.ami.manager")

Hook = Callable[[], Any]


class AmiManager:
    def __init__(self, host: str, port: int, username: str, secret: str, *,
                 ping_interval: float = 5.0, action_timeout: float = 10.0,
                 reconnect_backoff: tuple[float, float] = (0.5, 10.0), events: bool = True):
        self.host, self.port, self.username = host, port, username
        self.events = events   # False: an actions-only link (Asterisk sends it no events)
        self._secret = secret
        self.ping_interval = ping_interval
        self.action_timeout = action_timeout
        self.reconnect_backoff = reconnect_backoff
        self._dispatcher = EventDispatcher()
        self._connect_hooks: list[Hook] = []
        self._disconnect_hooks: list[Hook] = []
        self._conn: AmiConnection | None = None
        self._pinger: asyncio.Task | None = None
        self._supervisor: asyncio.Task | None = None
        self._closing = False

    def __repr__(self) -> str:  # never shows the secret
        return f"<AmiManager {self.username}@{self.host}:{self.port} connected={self.connected}>"

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed and not self._closing

    # --- registration -------------------------------------------------------------------
    def on_event(self, names: str | Iterable[str], handler: Handler) -> Callable[[], None]:
        """Call `handler(message)` (sync or async) for events named `names` ("*" = all).

        Several names in one call share one ordered queue. Returns an unsubscribe function.
        """
        return self._dispatcher.subscribe(names, handler)

    def on_connect(self, hook: Hook) -> None:
        """`hook()` (async or sync) runs after every successful login, the first one included."""
        self._connect_hooks.append(hook)

    def on_disconnect(self, hook: Hook) -> None:
        """`hook()` runs when an established link is lost (not on close())."""
        self._disconnect_hooks.append(hook)

    # --- lifecycle ----------------------------------------------------------------------
    async def connect(self) -> None:
        """First login. Raises AmiLoginError (bad credentials) or AmiNotConnected (unreachable).

        After that a background task keeps the link up until close().
        """
        if self._supervisor and not self._supervisor.done():
            return
        self._closing = False
        await self._establish()
        self._supervisor = asyncio.create_task(self._keep_connected(), name="ami-supervisor")

    async def close(self) -> None:
        self._closing = True
        for task in (self._supervisor, self._pinger):
            if task and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn and not conn.closed:
            try:
                await conn.request("Logoff", {}, timeout=1.0)
            except AmiError:
                pass
            conn.close()
        await self._dispatcher.close()
        log_event(log, "ami closed", host=self.host, port=self.port)

    # --- actions ------------------------------------------------------------------------
    async def send_action(self, name: str, **fields) -> Message:
        """Send one action and return its response.

        Raises AmiActionError on `Response: Error`, AmiTimeout, AmiNotConnected.
        A list value repeats the header: send_action("Originate", Variable=["A=1", "B=2"], ...).
        """
        return await self._live(name).request(name, fields, self.action_timeout)

    async def send_actions(self, actions: list[tuple[str, dict]]) -> list[Message | AmiActionError]:
        """Send several actions in one write and return their responses in order; a refused action's
        AmiActionError is returned in its place (the others still ran). Raises AmiTimeout, AmiNotConnected."""
        return await self._live(actions[0][0] if actions else "").request_many(actions, self.action_timeout)

    async def send_action_list(self, name: str, **fields) -> list[Message]:
        """Send an EventList action (QueueStatus, CoreShowChannels, DBGet...) and return its events,
        without the closing `...Complete` event."""
        return await self._live(name).request_list(name, fields, self.action_timeout)

    def _live(self, name: str) -> AmiConnection:
        if not self.connected or self._conn is None:
            raise AmiNotConnected(f"AMI is down, cannot send {name}")
        return self._conn

    # --- internals ----------------------------------------------------------------------
    async def _establish(self) -> None:
        conn = await AmiConnection.open(self.host, self.port, self._dispatcher.dispatch,
                                        timeout=self.action_timeout)
        try:
            login = {"Username": self.username, "Secret": self._secret, **({} if self.events else {"Events": "off"})}
            await conn.request("Login", login, self.action_timeout)
        except AmiActionError as exc:
            conn.close()
            reason = exc.response.get("Message", "refused") if exc.response else "refused"
            raise AmiLoginError(f"AMI login refused for user {self.username!r}: {reason}") from None
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._pinger = asyncio.create_task(self._ping_loop(conn), name="ami-ping")
        log_event(log, "ami connected", host=self.host, port=self.port, user=self.username,
                  greeting=conn.greeting)
        await self._run_hooks(self._connect_hooks, "on_connect")

    async def _keep_connected(self) -> None:
        while not self._closing and self._conn is not None:
            await self._conn.wait_closed()
            if self._closing:
                return
            log_event(log, "ami link lost", logging.WARNING, host=self.host, port=self.port)
            await self._run_hooks(self._disconnect_hooks, "on_disconnect")
            await self._reconnect()

    async def _reconnect(self) -> None:
        low, high = self.reconnect_backoff
        attempt = 0
        while not self._closing:
            delay = min(high, low * 2 ** attempt)
            await asyncio.sleep(random.uniform(delay / 2, delay))  # jitter: many clients, one PBX
            try:
                await self._establish()
                return
            except AmiError as exc:
                attempt += 1
                log_event(log, "ami reconnect failed", logging.WARNING, attempt=attempt, error=str(exc))

    async def _ping_loop(self, conn: AmiConnection) -> None:
        # `_closing` too: Python 3.11's wait_for can swallow a cancel that lands as the Ping's answer
        # arrives, and close() then waited forever for a loop whose connection it had not closed yet
        while not conn.closed and not self._closing:
            await asyncio.sleep(self.ping_interval)
            try:
                await conn.request("Ping", {}, timeout=self.ping_interval)
            except AmiTimeout:
                log_event(log, "ami ping unanswered, dropping the link", logging.WARNING,
                          timeout=self.ping_interval)
                conn.close()
                return
            except AmiNotConnected:
                return

    async def _run_hooks(self, hooks: list[Hook], kind: str) -> None:
        for hook in list(hooks):
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(f"ami {kind} hook failed", extra={"fields": {
                    "hook": getattr(hook, "__qualname__", repr(hook))}})
