"""An admin's recording, checked before it may replace a prompt: sox converts it (any format sox reads) into the
8 kHz mono 16-bit WAV Asterisk plays and measures it (`sox … stat`). Too short, too long, silent or unreadable
is refused with the reason in Chinese and English; nothing is installed until the checks pass."""
from __future__ import annotations

import functools
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ivr.prompts import PromptError, to_telephone_wav

MIN_SECONDS, MAX_SECONDS = 0.3, 120.0   # shorter is a click or an empty file; longer no caller waits through
MAX_UPLOAD_BYTES = 25 * 1024 * 1024     # two minutes of 44.1 kHz stereo WAV fit
SILENT_PEAK = 0.01    # -40 dBFS: nothing louder than this anywhere is a silent file (or a muted microphone)
SILENT_RMS = 0.002    # -54 dBFS of signal around its mean: a noise floor, no voice
MAX_TEXT = 500        # characters a synthesised prompt may have (as in prompts.yaml)


class PromptRefused(PromptError):
    """A recording or text that cannot become a prompt: `reason` for programs, the message for people."""

    def __init__(self, reason: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.reason, self.zh, self.en = reason, zh, en


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak: float       # largest sample, 0..1 of full scale
    rms: float        # RMS around the mean (a DC offset is no sound)


@functools.cache
def sox_formats() -> frozenset[str]:
    """The file types this sox reads (`sox -h`: "AUDIO FILE FORMATS: …")."""
    result = subprocess.run(["sox", "-h"], capture_output=True, text=True, timeout=10)
    found = re.search(r"AUDIO FILE FORMATS:(.*)", result.stdout + result.stderr)
    return frozenset(found.group(1).split()) if found else frozenset()


def scratch_name(filename: str | None) -> str:
    """The name an upload is saved under: never the client's name, only its type as a hint for sox when sox
    knows that type (sox recognises WAV, FLAC, Ogg… by their content anyway)."""
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    return f"upload.{suffix}" if suffix and suffix in sox_formats() else "upload"


def measure(wav: Path) -> Measured:
    result = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, timeout=60)
    stats = dict(re.findall(r"^([A-Za-z ()]+?):\s+(-?[\d.]+)\s*$", result.stderr, re.M))
    stats = {" ".join(k.split()): float(v) for k, v in stats.items()}
    try:
        seconds, peak = stats["Length (seconds)"], max(stats["Maximum amplitude"], -stats["Minimum amplitude"])
        rms = math.sqrt(max(stats["RMS amplitude"] ** 2 - stats["Mean amplitude"] ** 2, 0.0))
    except KeyError:
        if stats.get("Samples read") == 0:
            return Measured(0.0, 0.0, 0.0)
        raise unreadable(result.stderr.strip() or "sox stat failed") from None
    return Measured(seconds, peak, rms)


def unreadable(detail: str) -> PromptRefused:
    return PromptRefused("unreadable", "无法读取该音频文件（文件损坏，或不是 sox 支持的音频格式）",
                         f"cannot read this audio file (corrupt, or not a format sox reads): {detail}")


def check(measured: Measured) -> Measured:
    seconds = measured.seconds
    if seconds < MIN_SECONDS:
        raise PromptRefused("too_short", f"录音太短（{seconds:.2f} 秒），提示音至少 {MIN_SECONDS:g} 秒",
                            f"recording too short ({seconds:.2f} s); a prompt is at least {MIN_SECONDS:g} s")
    if seconds > MAX_SECONDS:
        raise PromptRefused("too_long", f"录音太长（{seconds:.1f} 秒），提示音最长 {MAX_SECONDS:g} 秒",
                            f"recording too long ({seconds:.1f} s); a prompt is at most {MAX_SECONDS:g} s")
    if measured.peak < SILENT_PEAK or measured.rms < SILENT_RMS:
        raise PromptRefused("silent", "录音几乎无声（音量过低或麦克风未打开），请重新录制",
                            f"recording is silent (peak {measured.peak:.4f}, RMS {measured.rms:.4f} of full scale)")
    return measured


def prepare(source: Path, converted: Path) -> Measured:
    """`source` (any format sox reads) → `converted` (8 kHz mono 16-bit WAV), measured and checked."""
    try:
        to_telephone_wav(source, converted)
    except PromptError as exc:
        raise unreadable(str(exc)) from None
    return check(measure(converted))


def check_text(text: str) -> str:
    """A prompt's text for the built-in TTS: trimmed, 1-500 characters, no control characters."""
    text = " ".join((text or "").split())
    if not text:
        raise PromptRefused("empty_text", "请输入提示音文本", "the text is empty")
    if len(text) > MAX_TEXT:
        raise PromptRefused("text_too_long", f"文本太长（{len(text)} 字），最多 {MAX_TEXT} 字",
                            f"text too long ({len(text)} characters); at most {MAX_TEXT}")
    if any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text):
        raise PromptRefused("bad_text", "文本含有控制字符", "the text contains control characters")
    return text
