"""An in-process fake AMI server for unit tests (ours and other packages').

It speaks the real wire format over a real socket: greeting, Login, Ping, scripted actions,
events pushed on demand, and the failure modes the manager must survive (drop, silent pings).
FakeAsyncAgi adds channels in AsyncAGI whose AGI commands a test answers (the caller pressing keys, hanging up).
"""
from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from telephony.ami.message import Message
from telephony.ami.protocol import FrameParser

GREETING = b"Asterisk Call Manager/11.0.0\r\n"

Frames = list[dict[str, str | None]] | None  # frames (header dicts) to send back, None for silence
# handler(server, action) -> Frames, or an awaitable of them
ActionHandler = Callable[["FakeAmiServer", Message], Frames | Awaitable[Frames]]


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
        self._quiet: set[asyncio.StreamWriter] = set()   # logged in with `Events: off`: sent no events
        self.quiet_actions: list[Message] = []            # the actions that came on such a link

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
            if writer not in self._quiet:
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
            self._quiet.discard(writer)
            writer.close()

    async def _answer(self, action: Message, writer: asyncio.StreamWriter) -> None:
        name, action_id = action.get("Action", ""), action.action_id
        self.actions.append(action)
        if writer in self._quiet:
            self.quiet_actions.append(action)
        reply: Frames
        if name == "Login":
            ok = action.get("Username") == self.username and action.get("Secret") == self.secret
            self.logins += ok
            if ok and action.get("Events", "").lower() == "off":
                self._quiet.add(writer)
            reply = [dict(Response="Success", Message="Authentication accepted")] if ok else \
                [dict(Response="Error", Message="Authentication failed")]
        elif name == "Ping":
            reply = [dict(Response="Success", Ping="Pong")] if self.answer_ping else None
        elif name in self.handlers:
            answer = self.handlers[name](self, action)
            reply = await answer if inspect.isawaitable(answer) else answer
        else:
            reply = [dict(Response="Error", Message="Invalid/unknown command")]
        for headers in reply or []:
            headers = {"ActionID": action_id, **headers}  # ActionID=None in a reply leaves it out
            writer.write(frame(**{k: v for k, v in headers.items() if v is not None}))


HANGUP = "HANGUP"  # an AgiAnswer: the caller hangs up during this command
AgiAnswer = Callable[[str], str | None]  # AGI command line -> result line ("200 result=49"), HANGUP, None: default


@dataclass
class FakeChannel:
    name: str
    answer: AgiAnswer
    env: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    in_agi: bool = True
    hung_up: bool = False


class FakeAsyncAgi:
    """Channels in `AGI(agi:async)` on a FakeAmiServer, as Asterisk runs them.

    `start()` sends AsyncAGIStart; each `Action: AGI` is acknowledged, then answered by an AsyncAGIExec
    event (CommandId, url-encoded Result). The channel's `answer(command)` scripts the caller; what it leaves
    to the default behaves as in Asterisk: SET/GET VARIABLE, ANSWER (Newstate Up), ASYNCAGI BREAK
    (AsyncAGIEnd), anything else `200 result=0`. Every event of a channel carries its variables as
    ChanVariable headers (manager.conf `channelvars`) and a Timestamp.
    """

    def __init__(self, server: FakeAmiServer) -> None:
        self.server = server
        self.channels: dict[str, FakeChannel] = {}
        server.handlers["AGI"] = self._on_agi
        server.handlers["CoreShowChannels"] = self._show_channels

    def start(self, channel: str, answer: AgiAnswer = lambda command: None, **env: str) -> FakeChannel:
        env = {"agi_request": "async", "agi_channel": channel, **env}
        self.channels[channel] = fake = FakeChannel(channel, answer, env)
        self.server.event("AsyncAGIStart", Channel=channel,
                          Env=quote("".join(f"{key}: {value}\n" for key, value in env.items()) + "\n"))
        return fake

    def event(self, channel: str, name: str, **headers: str) -> None:
        """An event about `channel` (QueueCallerJoin, AgentConnect...), with its channel variables and the
        time it happened (manager.conf `timestampevents`)."""
        variables = [f"{key}={value}" for key, value in self.channels[channel].variables.items()]
        headers = {"Timestamp": f"{time.time():.6f}", **headers}
        self.server.event(name, Channel=channel, ChanVariable=variables, **headers)

    def hang_up(self, channel: str, cause: str = "16", cause_txt: str = "Normal Clearing") -> None:
        fake = self.channels[channel]
        if fake.hung_up:
            return
        fake.hung_up = True
        if fake.in_agi:
            fake.in_agi = False
            self.event(channel, "AsyncAGIEnd")
        self.event(channel, "Hangup", Cause=cause, **{"Cause-txt": cause_txt})

    def _on_agi(self, server: FakeAmiServer, action: Message) -> Frames:
        fake = self.channels.get(action.get("Channel", ""))
        if fake is None or not fake.in_agi:
            return [dict(Response="Error", Message="Channel does not exist.")]
        command = action.get("Command", "")
        fake.commands.append(command)
        # the result event follows the action's response, as in Asterisk
        asyncio.get_running_loop().call_soon(self._execute, fake, command, action.get("CommandID", ""))
        return [dict(Response="Success", Message="Added AGI original_command to queue")]

    def _show_channels(self, server: FakeAmiServer, action: Message) -> Frames:
        """What AsyncAgi.rediscover() reads: the channels still in AGI(agi:async)."""
        listed: list[dict[str, str | None]] = [
            dict(Event="CoreShowChannel", Channel=fake.name, Application="AGI", ApplicationData="agi:async",
                 CallerIDNum=fake.env.get("agi_callerid"))
            for fake in self.channels.values() if fake.in_agi]
        return [dict(Response="Success", EventList="start"), *listed,
                dict(Event="CoreShowChannelsComplete", EventList="Complete", ListItems=str(len(listed)))]

    def _execute(self, fake: FakeChannel, command: str, command_id: str) -> None:
        result = fake.answer(command) or self._default(fake, command)
        hangup = result == HANGUP
        self.event(fake.name, "AsyncAGIExec", CommandId=command_id,
                   Result=quote(("200 result=-1" if hangup else result) + "\n"))
        if hangup:
            self.hang_up(fake.name)
        elif command == "ASYNCAGI BREAK":
            fake.in_agi = False
            self.event(fake.name, "AsyncAGIEnd")

    def _default(self, fake: FakeChannel, command: str) -> str:
        words = command.split(" ", 3)
        if words[:2] == ["SET", "VARIABLE"] and len(words) == 4:
            fake.variables[words[2]] = words[3].strip('"')
            return "200 result=1"
        if words[:2] == ["GET", "VARIABLE"] and len(words) == 3:
            value = fake.variables.get(words[2])
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if command == "ANSWER":
            self.event(fake.name, "Newstate", ChannelState="6", ChannelStateDesc="Up")
        return "200 result=0"
