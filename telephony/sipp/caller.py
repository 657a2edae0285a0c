"""A scripted caller (UAC): INVITE, then pauses, RFC 4733 key presses, audio, hold, BYE."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from telephony.sipp.media import dtmf_to_pcap, free_media_port, free_udp_port, wav_to_pcap
from telephony.sipp.process import SippError, SippProcess, _start

DTMF_NAMES = {"*": "star", "#": "pound", **{d: d for d in "0123456789"}}
REJECT_CODES = (403, 404, 408, 480, 486, 487, 488, 500, 503, 603)


@dataclass
class CallResult:
    exit_code: int
    answered: bool
    answer_latency: float | None  # seconds from INVITE to 200 OK
    final_status: int | None  # SIP status of a rejected call
    remote_hangup: bool  # the far end sent BYE
    timed_out: bool  # killed by the driver's timeout
    sip_call_id: str | None
    work_dir: Path
    events: list[list[str]] = field(repr=False, default_factory=list)


def render_steps(steps: list[tuple], work_dir: Path, max_hold: float) -> list[dict]:
    """A caller's script ([("pause", s), ("dtmf", "9"), ("audio", wav), ("hold", None)]) as template steps."""
    rendered = []
    for n, (kind, value) in enumerate(steps):
        if kind == "pause":
            if value:
                rendered.append({"kind": "pause", "ms": int(float(value) * 1000)})
        elif kind == "hold":
            rendered.append({"kind": "pause", "ms": int(max_hold * 1000)})
        elif kind == "dtmf":
            for digit in str(value):
                pcap = work_dir / f"dtmf{n}-{DTMF_NAMES[digit]}.pcap"
                dtmf_to_pcap(digit, pcap, event_number=len(rendered) + 1)
                rendered += [{"kind": "dtmf", "pcap": pcap, "label": digit}, {"kind": "pause", "ms": 250}]
        elif kind == "audio":
            pcap = work_dir / f"audio{n}.pcap"
            seconds = wav_to_pcap(Path(value), pcap)
            rendered += [{"kind": "audio", "pcap": pcap, "label": Path(value).name},
                         {"kind": "pause", "ms": int(seconds * 1000) + 200}]
        else:
            raise SippError(f"unknown caller step {kind!r}")
    return rendered


class SippCaller:
    """A caller to `number@127.0.0.1:target_port`. After the answer: pause, DTMF digits, audio, hold, BYE.

    `hold=None` waits for the far end to hang up (at most `max_hold` seconds, then BYE). `steps` replaces the
    simple script with a custom one:
    [("pause", 1.0), ("dtmf", "9"), ("audio", Path("x.wav")), ("pause", 3.0), ("hold", None)].
    """

    def __init__(self, target_port: int, number: str, *, caller_id: str = "13800138000", digits: str = "",
                 answer_pause: float = 1.0, digit_pause: float = 0.4, audio: Path | None = None,
                 audio_pause: float = 0.5, hold: float | None = 3.0, answer_timeout: float = 30.0,
                 max_hold: float = 300.0, steps: list[tuple] | None = None, work_dir: Path | None = None,
                 sip_port: int | None = None):
        if not re.fullmatch(r"[0-9*#]*", digits):
            raise SippError(f"DTMF digits must be 0-9, * or #: {digits!r}")
        self.target_port, self.number, self.caller_id = target_port, number, caller_id
        self.answer_timeout, self.max_hold = answer_timeout, max_hold
        self.steps = steps if steps is not None else self._simple_steps(
            digits, answer_pause, digit_pause, audio, audio_pause, hold)
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="sipp-caller-"))
        self.sip_port = sip_port
        self.process: SippProcess | None = None

    @staticmethod
    def _simple_steps(digits, answer_pause, digit_pause, audio, audio_pause, hold) -> list[tuple]:
        steps: list[tuple] = [("pause", answer_pause)]
        for digit in digits:
            steps += [("dtmf", digit), ("pause", digit_pause)]
        if audio is not None:
            steps += [("pause", audio_pause), ("audio", Path(audio))]
        steps.append(("hold", None) if hold is None else ("pause", hold))
        return steps

    def _render_steps(self) -> list[dict]:
        return render_steps(self.steps, self.work_dir, self.max_hold)

    def start(self) -> SippProcess:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        context = {"caller_id": self.caller_id, "steps": self._render_steps(), "reject_codes": REJECT_CODES,
                   "answer_timeout_ms": int(self.answer_timeout * 1000)}
        args = [f"127.0.0.1:{self.target_port}", "-s", self.number, "-p", str(self.sip_port or free_udp_port()),
                "-mp", str(free_media_port()), "-m", "1", "-l", "1", "-aa"]
        self.process = _start("caller.xml.j2", context, self.work_dir, args)
        return self.process

    def result(self) -> CallResult:
        assert self.process is not None, "start() the call first"
        events = self.process.events()
        ticks = {e[0]: e for e in events}
        answered = "ANSWERED" in ticks
        latency = (int(ticks["ANSWERED"][1]) - int(ticks["INVITE_SENT"][1])) / 1000 if answered else None
        rejected = ticks.get("REJECTED")
        return CallResult(
            exit_code=self.process.process.returncode, answered=answered, answer_latency=latency,
            final_status=int(rejected[-1].split()[-1]) if rejected else None,
            remote_hangup="REMOTE_BYE" in ticks, timed_out=self.process.timed_out,
            sip_call_id=ticks["INVITE_SENT"][2] if "INVITE_SENT" in ticks else None,
            work_dir=self.work_dir, events=events)

    def run(self, timeout: float = 120.0) -> CallResult:
        self.start().wait(timeout)
        return self.result()

    async def arun(self, timeout: float = 120.0) -> CallResult:
        await self.start().wait_async(timeout)
        return self.result()
