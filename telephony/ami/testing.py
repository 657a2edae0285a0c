"""An in-process fake AMI server for unit tests (ours and other packages').

It speaks the real wire format over a real socket: greeting, Login, Ping, scripted actions,
events pushed on demand, and the failure modes the manager must survive (drop, silent pings).
"""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

from telephony.ami.message import Message
from telephony.ami.protocol import FrameParser

GREETING = b"Asterisk Call Manager/11.0.0\r\n"

# handler(server, action) -> list of frames (dicts) to send back, or None for silence
ActionHandler = Callable[["FakeAmiServer", Message], object]


def frame(**headers) -> bytes:
    """Encode one frame; list values repeat the header."""
    lines = []
    for key, value in headers.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{key}: {item}\r\n")
    return ("".join(lines) + "\r\n").encode()


class FakeAmiServer:
    def __init__(self, username: str = "hotline", secret: str = "s3cret"):
        self.username, self.secret = username, secret
        self.answer_ping = True
        self.handlers: dict[str, ActionHandler] = {}
        self.actions: list[Message] = []
        self.logins = 0
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> FakeAmiServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.drop()
        if self._server:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def drop(self) -> None:
        """Close every client socket (what a PBX crash looks like)."""
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    def send(self, data: bytes) -> None:
        """Push raw bytes (events) to every connected client."""
        for writer in self._writers:
            writer.write(data)

    def event(self, name: str, **headers) -> None:
        self.send(frame(Event=name, **headers))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        writer.write(GREETING)
        parser = FrameParser(frame_keys=("Action",))
        try:
            while data := await reader.read(65536):
                for action in parser.feed(data):
                    await self._answer(action, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            if writer in self._writers:
                self._writers.remove(writer)
            writer.close()

    async def _answer(self, action: Message, writer: asyncio.StreamWriter) -> None:
        name, action_id = action.get("Action", ""), action.action_id
        self.actions.append(action)
        if name == "Login":
            ok = action.get("Username") == self.username and action.get("Secret") == self.secret
            self.logins += ok
            reply = [dict(Response="Success", Message="Authentication accepted")] if ok else \
                [dict(Response="Error", Message="Authentication failed")]
        elif name == "Ping":
            reply = [dict(Response="Success", Ping="Pong")] if self.answer_ping else None
        elif name in self.handlers:
            reply = self.handlers[name](self, action)
            if inspect.isawaitable(reply):
                reply = await reply
        else:
            reply = [dict(Response="Error", Message="Invalid/unknown command")]
        for headers in reply or []:
            headers = {"ActionID": action_id, **headers}  # ActionID=None in a reply leaves it out
            writer.write(frame(**{k: v for k, v in headers.items() if v is not None}))
