"""SIPp driver: scripted callers (UAC) and agent phones (UAS) against a SIP server on 127.0.0.1.

Generic: it knows SIP, RTP and SIPp, no hotline rule. Each SIPp gets its own SIP and media ports.
"""
from __future__ import annotations

import asyncio
import random
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

SCENARIO_DIR = Path(__file__).with_name("sipp_scenarios")
DTMF_NAMES = {"*": "star", "#": "pound", **{d: d for d in "0123456789"}}
REJECT_CODES = (403, 404, 408, 480, 486, 487, 488, 500, 503, 603)
_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SCENARIO_DIR)), undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True)


class SippError(RuntimeError):
    """SIPp is missing, or was asked something it cannot do."""


# -- ports and media ----------------------------------------------------------------------------------------
def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_media_port() -> int:
    """An even port with the next three free too (SIPp may open RTP/RTCP for audio and video)."""
    for _ in range(200):
        port = random.randrange(40000, 60000, 2)
        if all(_udp_free(port + i) for i in range(4)):
            return port
    raise SippError("no free media port pair found between 40000 and 60000")


def _rtp_packet(seq: int, timestamp: int, ssrc: int, payload: bytes, marker: bool, payload_type: int = 0) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, seq & 0xFFFF, timestamp & 0xFFFFFFFF,
                      ssrc)
    udp = struct.pack("!HHHH", 40000, 40000, 8 + len(rtp) + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(rtp) + len(payload), seq & 0xFFFF, 0, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    return b"\0" * 12 + b"\x08\x00" + ip + udp + rtp + payload


def wav_to_pcap(wav: Path, pcap: Path) -> float:
    """Any WAV → 8 kHz mono mu-law RTP (PT 0, 20 ms packets) in a pcap for play_pcap_audio. Returns seconds."""
    if shutil.which("sox") is None:
        raise SippError("sox is missing: run `sudo apt-get install sox`")
    result = subprocess.run(["sox", str(wav), "-t", "raw", "-r", "8000", "-c", "1", "-e", "mu-law", "-"],
                            capture_output=True, timeout=60)
    if result.returncode != 0:
        raise SippError(f"sox cannot convert {wav}: {result.stderr.decode(errors='replace').strip()}")
    audio, ssrc = result.stdout, random.getrandbits(32)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for n, start in enumerate(range(0, len(audio), 160)):
        packet = _rtp_packet(n, start, ssrc, audio[start:start + 160].ljust(160, b"\xff"), marker=n == 0)
        sec, usec = divmod(n * 20000, 1_000_000)
        out += struct.pack("<IIII", sec, usec, len(packet), len(packet)) + packet
    pcap.write_bytes(bytes(out))
    return len(audio) / 8000


# -- running SIPp -------------------------------------------------------------------------------------------
def _sipp_binary() -> str:
    binary = shutil.which("sipp")
    if binary is None:
        raise SippError("sipp is missing: run `sudo apt-get install sip-tester`")
    return binary


def _parse_log(path: Path) -> list[list[str]]:
    try:
        return [line.split(" ", 3) for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return []


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


class SippProcess:
    """One running SIPp; the driver's only handle to kill it."""

    def __init__(self, args: list[str], work_dir: Path):
        self.work_dir = work_dir
        self.log_file = work_dir / "events.log"
        self.screen = open(work_dir / "sipp.out", "wb")
        self.process = subprocess.Popen(args, cwd=work_dir, stdin=subprocess.DEVNULL, stdout=self.screen,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.timed_out = False

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def events(self) -> list[list[str]]:
        return _parse_log(self.log_file)

    def wait(self, timeout: float | None = None) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.kill()
            return self.process.returncode

    async def wait_async(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.running:
            if deadline is not None and time.monotonic() > deadline:
                self.timed_out = True
                self.kill()
                break
            await asyncio.sleep(0.05)
        return self.process.returncode

    def kill(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.screen.close()


def _start(scenario: str, context: dict, work_dir: Path, args: list[str]) -> SippProcess:
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "scenario.xml").write_text(_templates.get_template(scenario).render(**context), encoding="utf-8")
    base = [_sipp_binary(), "-sf", "scenario.xml", "-i", "127.0.0.1", "-nostdin", "-trace_logs",
            "-log_file", "events.log", "-trace_err", "-error_file", "errors.log", "-trace_msg",
            "-message_file", "messages.log"]
    return SippProcess(base + args, work_dir)


DTMF_EVENTS = {**{d: int(d) for d in "0123456789"}, "*": 10, "#": 11}


def dtmf_to_pcap(digit: str, pcap: Path, event_number: int) -> None:
    """One RFC 4733 key press (PT 101, 280 ms) as RTP in a pcap for play_pcap_audio.

    Not the stock /usr/share/sip-tester captures: their sequence numbers are fixed per digit, so a second
    key whose capture has lower numbers (9 after *) is dropped by Asterisk as an old packet. Here each
    press of a call gets higher sequence numbers and a later timestamp than the one before.
    """
    base_seq, base_ts, ssrc = event_number * 1000, event_number * 80_000, 0x4854_4C4E
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    durations = [160 * (i + 1) for i in range(14)] + [160 * 14] * 2  # 14 x 20 ms, end packet sent 3 times
    for i, duration in enumerate(durations + [durations[-1]]):
        end = i >= 14
        payload = struct.pack("!BBH", DTMF_EVENTS[digit], (0x80 if end else 0) | 10, duration)
        packet = _rtp_packet(base_seq + i, base_ts, ssrc, payload, marker=i == 0, payload_type=101)
        sec, usec = divmod(min(i, 14) * 20000 + (i - 14 if end else 0) * 100, 1_000_000)
        out += struct.pack("<IIII", sec, usec, len(packet), len(packet)) + packet
    pcap.write_bytes(bytes(out))


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


# -- caller -------------------------------------------------------------------------------------------------
class SippCaller:
    """A caller to `number@127.0.0.1:target_port`. After the answer: pause, DTMF digits, audio, hold, BYE.

    `hold=None` waits for the far end to hang up (at most `max_hold` seconds, then BYE). `steps` replaces the simple script with a custom one:
    [("pause", 1.0), ("dtmf", "9"), ("audio", Path("x.wav")), ("pause", 3.0), ("hold", None)].
    """

    def __init__(self, target_port: int, number: str, *, caller_id: str = "13800138000", digits: str = "",
                 answer_pause: float = 1.0, digit_pause: float = 0.4, audio: Path | None = None,
                 audio_pause: float = 0.5, hold: float | None = 3.0, answer_timeout: float = 30.0,
                 max_hold: float = 300.0, steps: list[tuple] | None = None, work_dir: Path | None = None, sip_port: int | None = None):
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


# -- load (many callers from one SIPp) ----------------------------------------------------------------------
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


# -- agent phone --------------------------------------------------------------------------------------------
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
                 talk_seconds: float | None = None, work_dir: Path | None = None):
        self.user, self.port = user, port
        self.answer, self.answer_delay, self.talk_seconds = answer, answer_delay, talk_seconds
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=f"sipp-{user}-"))
        self.process: SippProcess | None = None

    def start(self) -> "SippAgentPhone":
        context = {"user": self.user, "answer": self.answer, "answer_delay_ms": int(self.answer_delay * 1000),
                   "talk_ms": int(self.talk_seconds * 1000) if self.talk_seconds else 0}
        args = ["-p", str(self.port), "-mp", str(free_media_port()), "-l", "1000", "-aa"]
        self.process = _start("agent_phone.xml.j2", context, self.work_dir, args)
        self._wait_bound()
        return self

    def _wait_bound(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.running:
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


# -- factory (tests, demo command) --------------------------------------------------------------------------
class SippFactory:
    """Makes callers and agent phones for one SIP server and kills every SIPp it started on close()."""

    def __init__(self, sip_port: int, agent_phone_base_port: int, work_dir: Path):
        self.sip_port, self.agent_phone_base_port, self.work_dir = sip_port, agent_phone_base_port, Path(work_dir)
        self._started: list = []
        self._count = 0

    def _dir(self, name: str) -> Path:
        self._count += 1
        return self.work_dir / f"{self._count:02d}-{name}"

    def caller(self, number: str, **options) -> SippCaller:
        caller = SippCaller(self.sip_port, number, work_dir=self._dir(f"call-{number}"), **options)
        self._started.append(caller)
        return caller

    def agent_phone(self, agent: int, **options) -> SippAgentPhone:
        """The phone of agentN, on agent_phone_base_port + N, already listening."""
        phone = SippAgentPhone(f"agent{agent}", self.agent_phone_base_port + agent,
                               work_dir=self._dir(f"agent{agent}"), **options)
        self._started.append(phone)
        return phone.start()

    def close(self) -> list[str]:
        """Kill every SIPp still running. Returns the caller ids of calls killed mid-call: killed SIPp
        sends no BYE, so their channels stay up in the PBX until someone hangs them up."""
        unfinished = [item.caller_id for item in self._started
                      if isinstance(item, SippCaller) and item.process is not None and item.process.running]
        for item in self._started:
            if item.process is not None:
                item.process.kill()
        self._started.clear()
        return unfinished
