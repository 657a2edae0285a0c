"""One TCP connection to AMI: writes actions, reads frames, matches responses to ActionIDs."""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hotline.core.logging import log_event
from telephony.ami.errors import AmiActionError, AmiNotConnected, AmiTimeout
from telephony.ami.message import Message
from telephony.ami.protocol import FrameParser, encode_action

log = logging.getLogger("telephony.ami.connection")

_READ_SIZE = 65536
_ids = itertools.count(1)


@dataclass
class _Pending:
    name: str
    future: asyncio.Future
    collect: bool  # EventList action: gather events until "EventList: Complete"
    items: list[Message] = field(default_factory=list)


class AmiConnection:
    """Lives as long as its socket; the manager makes a new one on every reconnect."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_event: Callable[[Message], None]):
        self._reader, self._writer = reader, writer
        self._on_event = on_event
        self._parser = FrameParser()
        self._pending: dict[str, _Pending] = {}
        self._id_prefix = f"hl{next(_ids)}"
        self._counter = itertools.count(1)
        self._closed = asyncio.Event()
        self._read_task = asyncio.create_task(self._read_loop(), name="ami-reader")

    @classmethod
    async def open(cls, host: str, port: int, on_event: Callable[[Message], None],
                   timeout: float) -> AmiConnection:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (TimeoutError, OSError) as exc:
            raise AmiNotConnected(f"cannot reach AMI at {host}:{port}: {exc or 'timeout'}") from exc
        return cls(reader, writer, on_event)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def greeting(self) -> str | None:
        return self._parser.greeting

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def request(self, name: str, fields: dict, timeout: float) -> Message:
        return _raised((await self._send([(name, fields)], timeout, collect=False))[0])

    async def request_list(self, name: str, fields: dict, timeout: float) -> list[Message]:
        return _raised((await self._send([(name, fields)], timeout, collect=True))[0])

    async def request_many(self, actions: list[tuple[str, dict]], timeout: float) -> list[Message | AmiActionError]:
        """Several actions written at once (one write, no task each); their responses in order, an
        `AmiActionError` in the place of each refused one. Asterisk runs one session's actions in turn."""
        return await self._send(actions, timeout, collect=False)

    async def _send(self, actions: list[tuple[str, dict]], timeout: float, collect: bool) -> list:
        name = actions[0][0] if actions else "nothing"
        if self.closed:
            raise AmiNotConnected(f"AMI connection closed, cannot send {name}")
        ids = [f"{self._id_prefix}-{next(self._counter)}" for _ in actions]
        frames = [encode_action(action, action_id, fields)   # ValueError on bad input, before we track it
                  for (action, fields), action_id in zip(actions, ids, strict=True)]
        loop = asyncio.get_running_loop()
        pending = [_Pending(action, loop.create_future(), collect) for action, _ in actions]
        self._pending.update(zip(ids, pending, strict=True))
        try:
            self._writer.write(b"".join(frames))
            await self._writer.drain()
            async with asyncio.timeout(timeout):
                return [await _outcome(item.future) for item in pending]
        except TimeoutError:
            several = f" x{len(actions)}" if len(actions) > 1 else ""
            raise AmiTimeout(f"{name}{several}: no {'EventList Complete' if collect else 'response'} "
                             f"within {timeout:g}s") from None
        except (ConnectionError, OSError) as exc:
            self.close()
            raise AmiNotConnected(f"AMI write failed for {name}: {exc}") from exc
        finally:
            for action_id, item in zip(ids, pending, strict=True):
                self._pending.pop(action_id, None)
                if item.future.done() and not item.future.cancelled():
                    item.future.exception()   # seen: a refusal is returned (or raised by the caller)

    async def _read_loop(self) -> None:
        error: BaseException | None = None
        try:
            while chunk := await self._reader.read(_READ_SIZE):
                for message in self._parser.feed(chunk):
                    try:
                        self._route(message)
                    except Exception:  # a routing bug must not kill the reader
                        log.exception("ami message routing failed", extra={"fields": {"name": message.name}})
        except (ConnectionError, OSError) as exc:
            error = exc
        finally:
            log_event(log, "ami connection closed", logging.WARNING if error else logging.INFO,
                      error=str(error) if error else None)
            self._shutdown()

    def _route(self, message: Message) -> None:
        pending = self._pending.get(message.action_id) if message.action_id else None
        if pending is None or pending.future.done():
            if message.is_event:
                self._on_event(message)
            return
        if message.is_response:
            self._answer(pending, message)
        elif pending.collect:
            if (message.get("EventList") or "").lower() == "complete":
                pending.future.set_result(pending.items)
            else:
                pending.items.append(message)
        else:
            self._on_event(message)  # e.g. OriginateResponse before Originate's own response

    @staticmethod
    def _answer(pending: _Pending, response: Message) -> None:
        if response.name.lower() == "error":
            text = response.get("Message", "error")
            pending.future.set_exception(AmiActionError(f"{pending.name}: {text}", response))
        elif not pending.collect:
            pending.future.set_result(response)
        # list actions: the Success response only announces the events that follow

    def close(self) -> None:
        """Drop the socket; pending actions fail with AmiNotConnected."""
        if not self._read_task.done():
            self._read_task.cancel()
        self._shutdown()

    def _shutdown(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._writer.close()
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(AmiNotConnected(f"AMI connection lost during {pending.name}"))
        self._pending.clear()


async def _outcome(future: asyncio.Future) -> Any:
    """The response (or an EventList's events), or the AmiActionError of a refused action."""
    try:
        return await future
    except AmiActionError as exc:
        return exc


def _raised(outcome):
    if isinstance(outcome, AmiActionError):
        raise outcome
    return outcome
