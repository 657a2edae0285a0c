"""AsyncAGI over AMI: channels running `AGI(agi:async)` take commands sent as `Action: AGI`.

Results come back as AsyncAGIExec events matched by CommandID. Commands to one channel are
serialized; a channel that hangs up or leaves AGI fails its pending and later commands with AgiHangup.
"""
from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from hotline.core.logging import log_event
from telephony.ami.errors import AgiError, AgiHangup, AmiActionError, AmiNotConnected, AmiTimeout
from telephony.ami.lag import EventLag
from telephony.ami.manager import AmiManager
from telephony.ami.message import Message

__all__ = ["AsyncAgi", "AgiResult", "AgiError", "AgiHangup", "parse_agi_result", "decode_env"]

log = logging.getLogger("telephony.agi")

StartHandler = Callable[[str, dict[str, str]], Any]
_CODE = re.compile(r"^(\d{3})[ -]?(.*)$", re.S)
_RESULT = re.compile(r"^result=(\S*)(?: \((.*)\))?(?: endpos=(-?\d+))?\s*$", re.S)
_DEAD_CHANNEL = 511
_ENDED_MEMORY = 10_000
KEYS_KEPT = 256   # per channel in AsyncAGI: a menu walk is a handful of keys
LATE_PICKUP_SECONDS = 1.0   # a pickup this late is logged (once a minute at most): near a pickup watchdog


@dataclass(frozen=True)
class AgiResult:
    code: int  # 200 on success; 0 when Asterisk's text could not be read
    result: str  # "1", "0", "-1", digits pressed...
    data: str | None  # text in parentheses: "(timeout)", a variable's value
    endpos: int | None
    raw: str


def parse_agi_result(raw: str) -> AgiResult:
    """`200 result=1 (timeout) endpos=1234` -> AgiResult; never raises."""
    text = raw.strip()
    code = _CODE.match(text)
    if not code:
        return AgiResult(0, "", None, None, raw)
    rest = code.group(2).strip()
    found = _RESULT.match(rest)
    if not found:
        return AgiResult(int(code.group(1)), "", rest or None, None, raw)
    endpos = found.group(3)
    return AgiResult(int(code.group(1)), found.group(1), found.group(2),
                     int(endpos) if endpos is not None else None, raw)


def decode_env(encoded: str) -> dict[str, str]:
    """AsyncAGIStart `Env` (url-encoded `agi_key: value` lines) -> {"agi_key": "value"}."""
    env = {}
    for line in unquote(encoded).split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            env[key.strip()] = value.strip()
    return env


class AsyncAgi:
    """`manager` brings the events (and lists channels); `actions`, if given, is a second, events-off login
    the AGI commands go out on. Asterisk serves each AMI session in one thread that also writes its events: at a
    busy hour a command sent on the event session waited behind thousands of events (docs/performance.md)."""

    def __init__(self, manager: AmiManager, actions: AmiManager | None = None):
        self._manager = manager
        self._actions = actions or manager
        self._start_handlers: list[StartHandler] = []
        self._waiters: dict[str, tuple[str, asyncio.Future]] = {}  # CommandID -> (channel, result)
        self._in_flight: dict[str, list[asyncio.Future]] = {}   # channel -> its results awaited (a hang-up fails them)
        self._locks: dict[str, asyncio.Lock] = {}
        self._active: dict[str, dict[str, str]] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._keys: dict[str, str] = {}   # channel in AsyncAGI -> keys its caller pressed (DTMFEnd), in order
        self._hung_up: OrderedDict[str, None] = OrderedDict()   # channels whose Hangup event came (recent ones)
        self._key_waiters: dict[str, list[asyncio.Future]] = {}   # channel -> futures of next_key()
        self._tasks: set[asyncio.Task] = set()
        self.pickup_lag = EventLag()   # Asterisk's AsyncAGIStart stamp → our pickup, worst of the last minute
        self._lag_warned_at = 0.0
        self._prefix = f"agi-{secrets.token_hex(3)}"
        self._ids = itertools.count(1)
        # one subscription: start/exec/end/hangup of a channel stay in order
        manager.on_event(("AsyncAGIStart", "AsyncAGIExec", "AsyncAGIEnd", "Hangup", "DTMFEnd"), self._on_event)
        manager.on_connect(self.rediscover)  # registered first, so feature hooks see fresh state
        manager.on_disconnect(self._on_link_lost)

    def on_start(self, handler: StartHandler) -> None:
        """`handler(channel, env)` for each channel entering AsyncAGI; async handlers run as own tasks."""
        self._start_handlers.append(handler)

    def active_channels(self) -> dict[str, dict[str, str]]:
        """Channels now in AsyncAGI -> their agi_* env (partial for rediscovered ones)."""
        return {channel: dict(env) for channel, env in self._active.items()}

    def hung_up(self, channel: str) -> bool:
        """Whether the channel's Hangup event came: a channel that left AsyncAGI without one is still up in the
        dialplan (a watchdog or lease took it from us)."""
        return channel in self._hung_up

    def keys_received(self, channel: str) -> str:
        """Every key the caller pressed since the channel entered AsyncAGI, including those no command was
        reading: Asterisk drops a key pressed between two commands, its DTMFEnd event still tells."""
        return self._keys.get(channel, "")

    def next_key(self, channel: str) -> asyncio.Future:
        """Resolves at the channel's next key (DTMFEnd); never for a channel not in AsyncAGI. Cancel it when
        done waiting."""
        future = asyncio.get_running_loop().create_future()
        if channel in self._active:
            waiting = [waiter for waiter in self._key_waiters.get(channel, []) if not waiter.done()]
            self._key_waiters[channel] = [*waiting, future]
        return future

    async def stop_playback(self, channel: str) -> None:
        """Stop the prompt the channel plays or the key it waits for (AMI ControlPlayback): the running command
        returns with no key (STREAM FILE, GET OPTION: result 0; WAIT FOR DIGIT: 1000, AST_CONTROL_STREAM_STOP).
        A channel already gone is fine."""
        try:
            await self._sender().send_action("ControlPlayback", Channel=channel, Control="stop")
        except AmiActionError:
            pass

    async def command(self, channel: str, command: str, timeout: float | None = None) -> AgiResult:
        """Run one AGI command on `channel` and return its result (waits forever unless `timeout`).

        Raises AgiHangup, AgiError (5xx), AmiTimeout, AmiNotConnected.
        """
        return (await self.commands(channel, [command], timeout))[0]

    async def commands(self, channel: str, commands: list[str], timeout: float | None = None) -> list[AgiResult]:
        """Queue several commands at once and await all their results, in order.

        Asterisk runs every queued command of a channel in one go, then polls for new ones only every
        100 ms while the channel is silent: N commands sent one by one cost up to N x 100 ms, queued together
        about one poll.
        """
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            if channel in self._ended:
                raise AgiHangup(f"{channel} has left AsyncAGI; not sent: {commands}")
            results = await self._run(channel, commands, timeout)
        if channel in self._ended and not lock.locked():
            self._locks.pop(channel, None)
        for command, result in zip(commands, results, strict=True):
            if result.code == _DEAD_CHANNEL:
                raise AgiHangup(f"{channel} is dead: {result.raw.strip()}")
            if result.code != 200:
                raise AgiError(f"AGI {command!r} on {channel} failed: {result.raw.strip()}", result)
        return results

    async def break_out(self, channel: str) -> None:
        """Leave AsyncAGI; the dialplan continues after AGI(). A channel already gone is fine."""
        try:
            await self.command(channel, "ASYNCAGI BREAK")
        except AgiHangup:
            pass

    async def rediscover(self) -> dict[str, dict[str, str]]:
        """Re-read which channels sit in AsyncAGI (after a reconnect or a controller restart)."""
        channels = await self._manager.send_action_list("CoreShowChannels")
        found = {event["Channel"]: _env_from_listing(event) for event in channels if _in_async_agi(event)}
        for channel in list(self._active):
            if channel not in found:
                self._channel_gone(channel, "gone after reconnect")
        for channel, env in found.items():
            self._ended.pop(channel, None)
            self._active.setdefault(channel, env)
        log_event(log, "asyncagi channels rediscovered", count=len(found))
        return self.active_channels()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, channel: str, commands: list[str], timeout: float | None) -> list[AgiResult]:
        ids = [f"{self._prefix}-{next(self._ids)}" for _ in commands]
        futures = [asyncio.get_running_loop().create_future() for _ in commands]
        for command_id, future in zip(ids, futures, strict=True):
            self._waiters[command_id] = (channel, future)  # before sending: the result may be fast
        self._in_flight[channel] = futures   # one batch per channel at a time (the channel's lock)
        try:
            # all written at once, in order (Asterisk runs one session's actions in turn): one AMI round trip
            sent = await self._sender().send_actions(
                [("AGI", {"Channel": channel, "Command": command, "CommandID": command_id})
                 for command_id, command in zip(ids, commands, strict=True)])
            refused = next((outcome for outcome in sent if isinstance(outcome, AmiActionError)), None)
            if refused is not None:
                self._channel_gone(channel, str(refused))
                raise AgiHangup(f"{channel} takes no AGI command: {refused}") from None
            return list(await asyncio.wait_for(asyncio.gather(*futures), timeout))
        except TimeoutError:
            raise AmiTimeout(f"AGI {commands!r} on {channel}: no result within {timeout:g}s") from None
        finally:
            if self._in_flight.get(channel) is futures:
                del self._in_flight[channel]
            for command_id, future in zip(ids, futures, strict=True):
                self._waiters.pop(command_id, None)
                if future.done() and not future.cancelled():
                    future.exception()   # the first failure was raised; the rest are the same hang-up

    def _sender(self) -> AmiManager:
        return self._actions if self._actions.connected else self._manager   # its link down: the other one

    def _on_event(self, message: Message) -> None:
        channel = message.get("Channel", "")
        if message.name == "AsyncAGIExec":
            waiter = self._waiters.get(message.get("CommandID", ""))  # the event says "CommandId"
            if waiter and not waiter[1].done():
                waiter[1].set_result(parse_agi_result(unquote(message.get("Result", ""))))
        elif message.name == "DTMFEnd":
            keys = self._keys.get(channel, "")
            if channel in self._active and message.get("Direction") == "Received" and len(keys) < KEYS_KEPT:
                self._keys[channel] = keys + message.get("Digit", "")[:1]   # kept in place: callers index it
                for pressed in self._key_waiters.pop(channel, []):
                    if not pressed.done():
                        pressed.set_result(None)
        elif message.name == "AsyncAGIStart":
            self._note_pickup_lag(message.get("Timestamp"))
            self._started(channel, decode_env(message.get("Env", "")))
        elif message.name == "AsyncAGIEnd":
            self._channel_gone(channel, "AsyncAGIEnd")
        else:   # Hangup
            _remember(self._hung_up, channel)
            if channel in self._active or channel in self._locks:   # one with commands in flight has a lock
                self._channel_gone(channel, "Hangup")

    def _note_pickup_lag(self, timestamp: str | None) -> None:
        """A call picked up late is near the pickup watchdog, after which the dialplan takes it without the menu."""
        lag = self.pickup_lag.observe(timestamp)
        now = time.monotonic()
        if lag is not None and lag > LATE_PICKUP_SECONDS and now - self._lag_warned_at > 60:
            self._lag_warned_at = now
            log_event(log, "calls picked up late: is the node short of CPU?", logging.WARNING,
                      lag_seconds=round(lag, 3))

    def _started(self, channel: str, env: dict[str, str]) -> None:
        self._ended.pop(channel, None)
        self._active[channel] = env
        self._keys.pop(channel, None)
        for handler in self._start_handlers:
            try:
                result = handler(channel, env)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._handler_done)
            except Exception:
                log.exception("asyncagi start handler failed", extra={"fields": {"channel": channel}})

    def _handler_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("asyncagi start handler failed", exc_info=task.exception())

    def _channel_gone(self, channel: str, reason: str) -> None:
        self._active.pop(channel, None)
        self._keys.pop(channel, None)
        for waiter in self._key_waiters.pop(channel, []):
            waiter.cancel()
        _remember(self._ended, channel)
        lock = self._locks.get(channel)
        if lock is not None and not lock.locked():
            del self._locks[channel]
        for future in self._in_flight.get(channel, ()):   # not a scan of every channel's: 2 per call ended
            if not future.done():
                future.set_exception(AgiHangup(f"{channel} left AsyncAGI ({reason})"))

    def _on_link_lost(self) -> None:
        for channel, future in self._waiters.values():
            if not future.done():
                future.set_exception(AmiNotConnected(f"AMI link lost while {channel} ran an AGI command"))


def _remember(recent: OrderedDict[str, None], channel: str) -> None:
    """Channels seen lately, the oldest forgotten past _ENDED_MEMORY."""
    recent[channel] = None
    while len(recent) > _ENDED_MEMORY:
        recent.popitem(last=False)


def _in_async_agi(event: Message) -> bool:
    data = (event.get("ApplicationData") or "").lower()
    return event.get("Application") == "AGI" and (not data or data.startswith("agi:async"))


def _env_from_listing(event: Message) -> dict[str, str]:
    """The agi_* keys CoreShowChannel can fill, so rediscovered channels look like started ones."""
    mapping = {"agi_channel": "Channel", "agi_uniqueid": "Uniqueid", "agi_callerid": "CallerIDNum",
               "agi_calleridname": "CallerIDName", "agi_context": "Context", "agi_extension": "Exten",
               "agi_priority": "Priority", "agi_linkedid": "Linkedid"}
    return {key: event.get(field) for key, field in mapping.items() if event.get(field) is not None}
