"""The soak's callers: a realistic mix of scripted SIPp calls, each with its own caller id, at most
`concurrency` at once. Imported by bench/soak.py and tests/integration/test_soak.py."""
from __future__ import annotations

import asyncio
import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hotline.core.config import Settings
from ivr.scripted_caller import FIRST_KEY_AFTER, prompt_seconds
from telephony.sipp import SippAgentPhone, SippCaller

ANSWER_TIMEOUT = 30.0                               # seconds a caller waits for the 200 OK
SHORT_WAVS = ("2.wav", "4.wav", "5.wav", "6.wav")   # the model's test_wavs under 5 s
# kind → weight (per 100 calls). "audio": speaks a real Mandarin recording after the beep and ends it with '#';
# "skip": '#' during the description prompt (and once more after the beep: a '#' pressed before the flow
# plays the prompt is not heard); "hangup_*": the caller leaves early.
MIX = {"key1_skip": 16, "key9_audio": 18, "key0_skip": 8, "key1_audio": 10, "key9_skip": 6, "key0_audio": 4,
       "nokey_skip": 10, "hangup_menu": 14, "hangup_recording": 14}


@dataclass
class PlacedCall:
    n: int
    kind: str
    caller_id: str
    invite_at: float = 0.0
    ended_at: float = 0.0
    answered: bool = False
    remote_hangup: bool = False
    final_status: int | None = None
    timed_out: bool = False
    error: str = ""


@dataclass
class CallPlan:
    """Who calls, in which order: `calls` kinds drawn from MIX with a fixed seed (a run can be repeated)."""
    calls: int
    seed: int = 12345
    prefix: str = field(default_factory=lambda: f"1{int(time.time()) % 100000:05d}")   # unique per run

    def kinds(self) -> list[str]:
        rng = random.Random(self.seed)
        names, weights = zip(*MIX.items(), strict=True)
        return rng.choices(names, weights, k=self.calls)

    def caller_id(self, n: int) -> str:
        return f"{self.prefix}{n:05d}"    # 11 digits, unique per call of this run


class Scripts:
    """SIPp steps per kind, timed to this instance's prompts; trimmed recordings for callers who hang up
    while they speak."""

    def __init__(self, settings: Settings, work_dir: Path, hold: float) -> None:
        wavs = settings.asr_model_dir / "test_wavs"
        self.wavs = [wavs / name for name in SHORT_WAVS if (wavs / name).exists()]
        if not self.wavs:
            raise FileNotFoundError(f"no test recordings in {wavs}: install the sherpa model (hotline models install)")
        self.trimmed = [self._trim(w, work_dir / f"cut-{w.name}", 2.0) for w in self.wavs]
        self.welcome = prompt_seconds(settings, "welcome")
        self.describe = prompt_seconds(settings, "record-description")
        self.hold = hold

    @staticmethod
    def _trim(wav: Path, out: Path, seconds: float) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["sox", str(wav), str(out), "trim", "0", str(seconds)], check=True, capture_output=True)
        return out

    def steps(self, kind: str, rng: random.Random) -> list[tuple]:
        if kind == "hangup_menu":                   # leaves during the welcome, before choosing
            return [("pause", rng.uniform(2.0, min(8.0, self.welcome)))]
        if kind == "nokey_skip":                    # waits out the menu: general after the timeout
            head: list[tuple] = [("pause", self.welcome + 5.0 + 1.0)]
        else:
            key = {"key1": "1", "key9": "9", "key0": "0"}.get(kind.split("_")[0], rng.choice("19"))
            head = [("pause", FIRST_KEY_AFTER + rng.uniform(0, 1.5)), ("dtmf", key)]
        after_beep = ("pause", self.describe + 1.2)
        if kind.endswith("_skip"):   # '#' again after the beep, as a caller does whose first '#' went unheard
            return head + [("pause", 1.0), ("dtmf", "#"), ("pause", self.describe + 1.0), ("dtmf", "#"),
                           ("hold", None)]
        if kind == "hangup_recording":              # speaks two seconds, then hangs up mid-description
            return head + [after_beep, ("audio", rng.choice(self.trimmed))]
        return head + [after_beep, ("audio", rng.choice(self.wavs)), ("dtmf", "#"), ("hold", None)]


def agent_phones(settings: Settings, work_dir: Path) -> list[SippAgentPhone]:
    """Agents 1-4 answer after a moment and hang up after about a second."""
    return [SippAgentPhone(f"agent{n}", settings.agent_phone_base_port + n, answer=True, answer_delay=0.4,
                           talk_seconds=1.0, work_dir=work_dir / f"agent{n}").start() for n in range(1, 5)]


class Callers:
    """Places the plan's calls, at most `concurrency` at once and at most `rate` new calls a second.
    `started` counts calls placed so far (the fault schedule follows it)."""

    def __init__(self, settings: Settings, plan: CallPlan, work_dir: Path, *, concurrency: int, rate: float,
                 hold: float, deadline: float) -> None:
        self.settings, self.plan, self.work_dir = settings, plan, work_dir
        self.concurrency, self.rate, self.deadline = concurrency, rate, deadline
        self.scripts = Scripts(settings, work_dir / "media", hold)
        self.hold = hold
        self.placed: list[PlacedCall] = []
        self.started = 0
        self.running: set[SippCaller] = set()

    async def run(self) -> list[PlacedCall]:
        gate = asyncio.Semaphore(self.concurrency)
        rng = random.Random(self.plan.seed + 1)
        tasks = []
        for n, kind in enumerate(self.plan.kinds()):
            await gate.acquire()
            if time.time() > self.deadline:
                gate.release()
                break
            call = PlacedCall(n, kind, self.plan.caller_id(n))
            self.placed.append(call)
            tasks.append(asyncio.create_task(self._one(call, self.scripts.steps(kind, rng), gate)))
            self.started += 1
            await asyncio.sleep(1.0 / self.rate)
        await asyncio.gather(*tasks)
        return self.placed

    async def _one(self, call: PlacedCall, steps: list[tuple], gate: asyncio.Semaphore) -> None:
        caller = SippCaller(self.settings.sip_port, self.settings.hotline_number, caller_id=call.caller_id,
                            steps=steps, max_hold=self.hold, answer_timeout=ANSWER_TIMEOUT,
                            work_dir=self.work_dir / "calls" / f"{call.n:05d}-{call.kind}")
        try:
            call.invite_at = time.time()
            self.running.add(caller)
            process = await asyncio.to_thread(caller.start)
            await self._wait(process, time.monotonic())
            result = caller.result()
            call.answered, call.remote_hangup = result.answered, result.remote_hangup
            call.final_status, call.timed_out = result.final_status, result.timed_out
        except Exception as exc:   # one broken SIPp must not end the soak: it shows in the table
            call.error = repr(exc)[:200]
        finally:
            call.ended_at = time.time()
            self.running.discard(caller)
            gate.release()

    async def _wait(self, process, began: float) -> None:
        """Until SIPp ends. A call still unanswered after ANSWER_TIMEOUT is given up here: SIPp's own timeout
        never fires when no provisional response came (Asterisk down) or after a 503/603 while Asterisk stops."""
        answered = False
        while process.running:
            elapsed = time.monotonic() - began
            if not answered:
                answered = any(e[0] == "ANSWERED" for e in process.events())
                if not answered and elapsed > ANSWER_TIMEOUT:
                    process.kill()
                    break
            if elapsed > ANSWER_TIMEOUT + self.hold + 60:
                process.timed_out = True
                process.kill()
                break
            await asyncio.sleep(0.5)

    def kill_all(self) -> None:
        for caller in list(self.running):
            if caller.process is not None:
                caller.process.kill()
