"""One channel's AGI commands as awaitable methods (protocol only: no hotline rules here)."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass

from telephony.agi import AgiHangup, AgiResult, AsyncAgi

ALL_KEYS = "0123456789*#"
# a key the running command read has its result right behind its DTMFEnd (same Asterisk event queue, in order)
DROPPED_KEY_GRACE_SECONDS = 0.5
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z0-9_]*\))?")


@dataclass(frozen=True)
class Recording:
    ended_by: str  # "dtmf" | "silence" | "timeout" | "hangup"
    endpos: int | None  # samples written (8 kHz → seconds = endpos / 8000)

    @property
    def seconds(self) -> float | None:
        return None if self.endpos is None else round(self.endpos / 8000, 2)


def _quote(value: str) -> str:
    """AGI arguments are space separated; quote, and refuse characters that would break the line."""
    text = str(value)
    if any(c in text for c in '"\n\r'):
        raise ValueError(f"unsafe AGI argument {text!r}")
    return f'"{text}"'


def _name(name: str) -> str:
    """A variable or function name (FOO, TIMEOUT(absolute)): nothing that could split the command line."""
    if not _VAR_NAME.fullmatch(name or ""):
        raise ValueError(f"unsafe AGI variable name {name!r}")
    return name


def _set_lines(values: Mapping[str, str | int]) -> list[str]:
    return [f"SET VARIABLE {_name(name)} {_quote(str(value))}" for name, value in values.items()]


def _digit(result: AgiResult) -> str | None:
    """STREAM FILE / WAIT FOR DIGIT return the key's ASCII code, 0 for none (1000: stopped by AMI, no key)."""
    code = int(result.result or 0)
    return chr(code) if 0 < code < 128 else None


class AgiChannel:
    """A channel's AGI commands, with type-ahead: Asterisk drops a key pressed while no command reads keys
    (between two commands, which under load can be a second), but its DTMFEnd event still arrives, in order
    with the commands' results. A prompt that takes keys first looks at the keys pressed since the last
    result came back, so a caller who presses before the prompt starts is heard."""

    def __init__(self, agi: AsyncAgi, channel: str) -> None:
        self.agi = agi
        self.channel = channel
        self._heard = 0   # keys received when the last result came back; the later ones no command read

    async def hung_up_within(self, seconds: float) -> bool:
        """After the channel left AsyncAGI: True once its Hangup event comes (it follows AsyncAGIEnd, late when
        Asterisk's event queue is long), False if none came in `seconds` (the channel went on in the dialplan)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.agi.hung_up(self.channel):
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    def typed_ahead(self) -> str:
        return self.agi.keys_received(self.channel)[self._heard:]

    def _take_typed(self, keys: str) -> str | None:
        """The first key among `keys` pressed since the last result, then counted as read."""
        for offset, key in enumerate(self.typed_ahead()):
            if key in keys:
                self._heard += offset + 1
                return key
        return None

    async def _run(self, lines: list[str], timeout: float | None = None) -> list[AgiResult]:
        results = await self.agi.commands(self.channel, lines, timeout)
        self._heard = len(self.agi.keys_received(self.channel))
        return results

    async def command(self, line: str, timeout: float | None = None) -> AgiResult:
        return (await self._run([line], timeout))[0]

    async def _keyed(self, line: str, keys: str, timeout: float | None = None) -> tuple[str | None, AgiResult | None]:
        """Run a command that returns a key among `keys`. A key typed ahead answers without running it; one
        that came in after it was sent but before it started still answers it (the command itself read none,
        or a later one: that later key then waits for the next prompt, keys count in the order pressed)."""
        typed = self._take_typed(keys)
        if typed:
            return typed, None
        sent_at = self._heard
        running = asyncio.ensure_future(self.command(line, timeout))
        try:
            await self._stop_if_key_dropped(running, sent_at, keys)
            result = await running
        except BaseException:
            running.cancel()
            raise
        if result.result == "-1":
            return None, result
        key = _digit(result)
        received = self.agi.keys_received(self.channel)
        first = next(((at, k) for at, k in enumerate(received[sent_at:], sent_at) if k in keys), None)
        if first is not None and first[1] != key:
            self._heard = first[0] + 1
            return first[1], result
        return key, result

    async def _stop_if_key_dropped(self, running: asyncio.Future, sent_at: int, keys: str) -> None:
        """A key pressed just before the command started is dropped, and its prompt would play to the end
        although the caller answered it (at a busy hour: a '#' to skip the description, then 7 s of the prompt).
        Its DTMFEnd comes while the command runs; when no result follows within the grace, the prompt is
        stopped and that key answers it (_keyed)."""
        while not running.done():
            pressed = self.agi.next_key(self.channel)
            try:
                await asyncio.wait((running, pressed), return_when=asyncio.FIRST_COMPLETED)
            finally:
                pressed.cancel()
            if running.done() or not any(key in keys for key in self.agi.keys_received(self.channel)[sent_at:]):
                continue
            finished, _ = await asyncio.wait((running,), timeout=DROPPED_KEY_GRACE_SECONDS)
            if not finished:
                await self.agi.stop_playback(self.channel)
            return

    async def set_variable(self, name: str, value: str | int) -> None:
        await self.set_variables({name: value})

    async def set_variables(self, values: Mapping[str, str | int]) -> None:
        """Several SET VARIABLE commands queued together: one AsyncAGI poll (~100 ms) instead of one each.
        Not `EXEC MSet`: while an EXEC'd application is the channel's last one, CoreShowChannels no longer
        lists the channel under AGI, and a restarted controller could not find it to release it."""
        await self._run(_set_lines(values))

    async def answer_after(self, seconds: float, variables: Mapping[str, str | int]) -> None:
        """Set `variables`, let the caller ring `seconds` more and answer, queued as one batch: Asterisk runs it
        through without a round trip to us (WAIT FOR DIGIT, not EXEC Wait: see set_variables)."""
        wait = [f"WAIT FOR DIGIT {int(seconds * 1000)}"] if seconds >= 0.001 else []
        await self._run([*_set_lines(variables), *wait, "ANSWER"])

    async def get_variable(self, name: str) -> str | None:
        result = await self.command(f"GET VARIABLE {name}")
        return result.data if result.result == "1" else None

    async def play(self, sound: str, escape_keys: str = "") -> str | None:
        """Play a sound file (path without extension); returns the key that interrupted it (or was typed ahead)."""
        return (await self._keyed(f"STREAM FILE {sound} {_quote(escape_keys)}", escape_keys))[0]

    async def play_through(self, sound: str) -> float:
        """Play a sound no key interrupts; returns the seconds Asterisk played (0.0: the file is missing)."""
        result = await self.command(f"STREAM FILE {sound} {_quote('')}")
        return round(max(result.endpos or 0, 0) / 8000, 2)   # our prompts are 8 kHz

    async def wait_for_key(self, seconds: float) -> str | None:
        return (await self._keyed(f"WAIT FOR DIGIT {int(seconds * 1000)}", ALL_KEYS, timeout=seconds + 10))[0]

    async def prompt_for_key(self, sound: str, seconds: float) -> str | None:
        """Play a prompt the caller may interrupt with any key, then wait `seconds` for one. One command (GET
        OPTION), not a play and a wait: each AsyncAGI command costs an AMI round trip and up to 100 ms of polling."""
        key, result = await self._keyed(f"GET OPTION {sound} {_quote(ALL_KEYS)} {max(int(seconds * 1000), 1)}",
                                        ALL_KEYS)
        if result is not None and result.result == "-1":   # hung up (or no such prompt: Asterisk then ends AGI)
            raise AgiHangup(f"{self.channel}: {result.raw.strip()}")
        return key

    async def record(self, path: str, *, max_seconds: int, silence_seconds: int, end_keys: str = "#") -> Recording:
        line = (f"RECORD FILE {path} wav {_quote(end_keys)} {max_seconds * 1000} 0 BEEP s={silence_seconds}")
        result = await self.command(line, timeout=max_seconds + 15)
        data = result.data or ""
        if result.result == "-1" or "hangup" in data:
            ended_by = "hangup"
        elif "dtmf" in data:
            ended_by = "dtmf"
        elif int(result.result or 0) > 0 and "timeout" not in data:
            ended_by = "dtmf"
        else:
            ended_by = "silence" if "silence" in data else "timeout"
        return Recording(ended_by=ended_by, endpos=result.endpos)

    async def release(self) -> None:
        """Leave AsyncAGI: the dialplan continues after AGI()."""
        await self.command("ASYNCAGI BREAK")

    async def release_with(self, values: Mapping[str, str | int]) -> None:
        """Set variables and leave AsyncAGI in one batch (one AsyncAGI poll, one AMI round trip)."""
        await self._run([*_set_lines(values), "ASYNCAGI BREAK"])
