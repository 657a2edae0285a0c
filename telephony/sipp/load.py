"""Many callers from one SIPp process (load tests and benchmarks)."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from telephony.sipp.caller import REJECT_CODES, render_steps
from telephony.sipp.media import free_media_port, free_udp_port
from telephony.sipp.process import SippError, SippProcess, _start


@dataclass
class LoadCall:
    sip_call_id: str
    caller_id: str
    invite_tick: int  # SIPp clock, ms
    answer_latency: float | None  # seconds from INVITE to 200 OK; None if not answered
    final_status: int | None  # SIP status of a rejected call
    outcome: str  # answered | rejected | no_answer | unfinished (SIPp ended or was killed mid-call)
    remote_hangup: bool


class SippLoad:
    """`calls` callers at `rate` new calls/s, at most `limit` at once, from one SIPp process (load mode);
    each runs the same script as SippCaller `steps`. The caller number is `caller_prefix` + call number."""

    def __init__(self, target_port: int, number: str, *, calls: int, rate: float, steps: list[tuple],
                 limit: int = 200, caller_prefix: str = "139", answer_timeout: float = 30.0,
                 max_hold: float = 300.0, work_dir: Path | None = None):
        if not re.fullmatch(r"[0-9]{1,12}", caller_prefix):
            raise SippError(f"caller prefix must be 1-12 digits: {caller_prefix!r}")
        self.target_port, self.number, self.calls, self.rate, self.limit = target_port, number, calls, rate, limit
        self.steps, self.caller_prefix = steps, caller_prefix
        self.answer_timeout, self.max_hold = answer_timeout, max_hold
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="sipp-load-"))
        self.process: SippProcess | None = None

    def start(self) -> SippProcess:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        context = {"caller_prefix": self.caller_prefix, "reject_codes": REJECT_CODES,
                   "steps": render_steps(self.steps, self.work_dir, self.max_hold),
                   "answer_timeout_ms": int(self.answer_timeout * 1000)}
        args = [f"127.0.0.1:{self.target_port}", "-s", self.number, "-p", str(free_udp_port()),
                "-mp", str(free_media_port()), "-r", str(self.rate), "-rp", "1000", "-m", str(self.calls),
                "-l", str(self.limit), "-aa"]
        self.process = _start("load_caller.xml.j2", context, self.work_dir, args)
        return self.process

    def results(self) -> list[LoadCall]:
        """One entry per call SIPp started, in start order."""
        assert self.process is not None, "start() the load first"
        calls: dict[str, dict] = {}
        for event in self.process.events():
            if len(event) >= 3 and event[1].isdigit():
                kind, tick, call_id = event[0], int(event[1]), event[2]
                calls.setdefault(call_id, {})[kind] = (tick, event[3].strip() if len(event) > 3 else "")
        return [self._call(call_id, seen) for call_id, seen in calls.items() if "INVITE_SENT" in seen]

    @staticmethod
    def _call(call_id: str, seen: dict) -> LoadCall:
        invite_tick, caller = seen["INVITE_SENT"]
        rejected = seen.get("REJECTED")
        if "ANSWERED" in seen:
            outcome = "answered" if "END" in seen else "unfinished"
        elif rejected:
            outcome = "rejected"
        else:
            outcome = "no_answer" if "NO_ANSWER" in seen else "unfinished"
        latency = (seen["ANSWERED"][0] - invite_tick) / 1000 if "ANSWERED" in seen else None
        status = rejected[1].split()[-1] if rejected else ""
        return LoadCall(call_id, caller, invite_tick, latency, int(status) if status.isdigit() else None,
                        outcome, "REMOTE_BYE" in seen)
