"""An agent phone (UAS) that rings, answers after a delay (or never), and logs what happened."""
from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from telephony.sipp.caller import render_steps
from telephony.sipp.media import _udp_free, free_media_port
from telephony.sipp.process import SippError, SippProcess, _start


@dataclass
class PhoneEvent:
    kind: str  # INVITE, ANSWERED, CANCELLED, BYE (far end hung up), LOCAL_BYE
    tick_ms: int
    sip_call_id: str
    detail: str = ""  # for INVITE: the From header (caller id as Asterisk presents it)


class SippAgentPhone:
    """A phone that rings for every INVITE on 127.0.0.1:port and answers after `answer_delay` seconds
    (`answer=False`: rings until CANCEL). `talk_seconds=None` talks until the far end hangs up."""

    def __init__(self, user: str, port: int, *, answer: bool = True, answer_delay: float = 0.5,
                 talk_seconds: float | None = None, work_dir: Path | None = None, steps: list[tuple] | None = None):
        self.user, self.port = user, port
        self.answer, self.answer_delay, self.talk_seconds = answer, answer_delay, talk_seconds
        self.steps = steps or []   # after the answer, like a caller's: pauses and key presses
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=f"sipp-{user}-"))
        self.process: SippProcess | None = None

    def start(self) -> SippAgentPhone:
        if not _udp_free(self.port):   # else "bound" below could be the other process, and this one just exits
            raise SippError(f"phone {self.user}: 127.0.0.1:{self.port} is taken (another phone still running?)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        steps = render_steps([s for s in self.steps if s[0] != "hold"], self.work_dir, 0)
        context = {"user": self.user, "answer": self.answer, "answer_delay_ms": int(self.answer_delay * 1000),
                   "talk_ms": int(self.talk_seconds * 1000) if self.talk_seconds else 0, "steps": steps}
        args = ["-p", str(self.port), "-mp", str(free_media_port()), "-l", "1000", "-aa"]
        self.process = _start("agent_phone.xml.j2", context, self.work_dir, args)
        self._wait_bound()
        return self

    def _wait_bound(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or not self.process.running:
                raise SippError(f"agent phone {self.user} exited: see {self.work_dir}/sipp.out")
            if not _udp_free(self.port):
                return
            time.sleep(0.05)
        raise SippError(f"agent phone {self.user} did not bind 127.0.0.1:{self.port}")

    def events(self) -> list[PhoneEvent]:
        if self.process is None:
            return []
        return [PhoneEvent(e[0], int(e[1]), e[2], e[3].strip() if len(e) > 3 else "")
                for e in self.process.events() if len(e) >= 3 and e[1].isdigit()]

    def events_for(self, caller: str) -> list[PhoneEvent]:
        """Events of the calls whose INVITE came from `caller` (a number in the From header).

        Needed because Asterisk keeps retransmitting INVITEs sent while the phone was not yet listening."""
        events = self.events()
        calls = {e.sip_call_id for e in events if e.kind == "INVITE" and caller in e.detail}
        return [e for e in events if e.sip_call_id in calls]

    async def wait_for(self, kind: str, *, caller: str | None = None, count: int = 1,
                       timeout: float = 30.0) -> list[PhoneEvent]:
        """Until `count` events of `kind` (of calls from `caller`, if given) happened; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events() if caller is None else self.events_for(caller)
            found = [e for e in events if e.kind == kind]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.user}: {count}x{kind} (caller {caller}) not seen in {timeout}s; "
                           f"events: {self.events()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
