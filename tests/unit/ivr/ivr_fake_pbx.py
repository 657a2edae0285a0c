"""Call-flow unit tests' fake PBX side: a scripted caller answering AGI commands, fake tickets and overflow,
and FlowRig (the real CallFlow, JournalConsumer and Journal wired to telephony.ami.testing.FakeAsyncAgi)."""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from hotline.core.config import Settings
from ivr.journal import Journal
from ivr.menus.store import MenuStore
from telephony.agi import AsyncAgi
from telephony.ami.manager import AmiManager
from telephony.ami.testing import HANGUP, FakeAsyncAgi, FakeChannel

from helpers import eventually

MENU_KEYS = '"0123456789*#"'  # a menu prompt the caller may interrupt with any key
RECORD_PROMPT_KEYS = '"*#"'  # the description prompt: '#' or '*' skips the description


class ScriptedCaller:
    """Answers the flow's AGI commands as a caller would.

    `keys`: pressed in turn, one per menu prompt (None: nothing pressed, the wait for a key times out).
    `record`: at the description prompt, "speak" (then '#'), "skip" ('#' during the prompt) or "hangup".
    `hang_up_at`: hangs up during the first command containing this text (e.g. "welcome").
    """

    def __init__(self, keys=(), *, record: str = "speak", hang_up_at: str | None = None,
                 spoken_seconds: float = 5.0) -> None:
        self.keys, self.record, self.hang_up_at = list(keys), record, hang_up_at
        self.spoken_seconds = spoken_seconds

    def answer(self, command: str) -> str | None:
        if self.hang_up_at and self.hang_up_at in command:
            self.hang_up_at = None
            return HANGUP
        if command.startswith("GET OPTION") and MENU_KEYS in command:   # the prompt, then the wait for a key
            key = self.keys.pop(0) if self.keys else None
            return f"200 result={ord(key)} endpos=8000" if key else "200 result=0 endpos=40000"
        if command.startswith("STREAM FILE") and command.endswith(RECORD_PROMPT_KEYS):
            return f"200 result={ord('#')} endpos=800" if self.record == "skip" else "200 result=0 endpos=24000"
        if command.startswith("RECORD FILE"):
            if self.record == "hangup":
                return HANGUP
            return f"200 result={ord('#')} (dtmf) endpos={int(self.spoken_seconds * 8000)}"
        return None  # SET VARIABLE, ANSWER, ASYNCAGI BREAK act as in Asterisk


class FakeTickets:
    def __init__(self) -> None:
        self.drafts: list[dict] = []
        self.fail = False

    async def open_draft(self, draft: dict) -> dict:
        if self.fail:
            raise RuntimeError("tickets store down")
        self.drafts.append(draft)
        return {"id": f"T{len(self.drafts)}"}


class FakeOverflow:
    def __init__(self) -> None:
        self.routes: dict[str, str] = {}  # queue -> where its new callers go while it is overflowing
        self.asked: list[str] = []

    async def action(self, queue: str) -> dict | None:
        self.asked.append(queue)
        return {"action": "route", "queue": self.routes[queue]} if queue in self.routes else None


def played(channel: FakeChannel) -> list[str]:
    """Prompt names the channel was played, in order."""
    return [c.split()[2].rsplit("/", 1)[-1] for c in channel.commands if c.startswith(("STREAM FILE", "GET OPTION"))]


def event_names(call: dict) -> list[str]:
    return [e["event"] for e in call["events"]]


@dataclass
class FlowRig:
    settings: Settings
    redis: object
    ami: AmiManager
    agi: AsyncAgi
    pbx: FakeAsyncAgi
    journal: Journal
    menus: MenuStore
    tickets: FakeTickets
    overflow: FakeOverflow
    flows: dict[str, asyncio.Task] = field(default_factory=dict)
    closed: dict[str, dict] = field(default_factory=dict)   # opening hours: line -> its fallback while closed
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def is_open(self, line: str, now: float) -> tuple[bool, dict | None]:
        return (False, self.closed[line]) if line in self.closed else (True, None)

    async def call(self, caller: ScriptedCaller, number: str = "13812345678") -> tuple[FakeChannel, str]:
        """One call through the flow, to the flow's end; returns the channel and its call id."""
        name = f"PJSIP/caller-{next(self._numbers):08x}"
        channel = self.pbx.start(name, caller.answer, agi_callerid=number, agi_uniqueid=f"1700000000.{name[-2:]}")
        flow = await eventually(lambda: self.flows.get(name), 5, "the flow to take the call")
        await asyncio.wait_for(flow, 10)
        return channel, channel.variables["HOTLINE_CALL_ID"]

    async def journal_with(self, call_id: str, *wanted: str) -> dict:
        """The call's journal once it holds every `wanted` event (AMI events are consumed concurrently)."""
        async def ready():
            call = await self.journal.get(call_id)
            return call if call and all(w in event_names(call) for w in wanted) else None
        return await eventually(ready, 5, f"journal events {wanted}")
