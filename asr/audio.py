"""WAV loading, resampling and a silence check: everything the engines need from a recording
(and `save_wav`, its inverse, for tests and benchmarks).

Asterisk's MixMonitor/Record write PCM16 WAV ("wav") and can write G.711 mu-law/a-law inside a
WAV container; the stdlib `wave` module reads only PCM, so the RIFF chunks are parsed here.
"""
from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from asr.limits import MAX_AUDIO_SECONDS

PCM, ALAW, MULAW, EXTENSIBLE = 0x0001, 0x0006, 0x0007, 0xFFFE
_FORMAT_NAMES = {0x0003: "IEEE float", 0x0011: "IMA ADPCM", 0x0031: "GSM 6.10 (wav49)", 0x0055: "MP3"}
MAX_CHANNELS = 8


class AudioError(ValueError):
    """A recording that cannot be used; the message says why, for logs and for the CLI."""


class EmptyAudioError(AudioError):
    """A well-formed WAV with no samples: Asterisk trims a silence-ended recording of a caller who said nothing."""


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    seconds: float

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int) -> Audio:
        samples = np.asarray(samples, dtype=np.float32)
        return cls(samples, int(sample_rate), len(samples) / float(sample_rate))


@dataclass(frozen=True)
class _Format:
    tag: int
    channels: int
    rate: int
    bits: int
    block_align: int


def load_wav(path: str | Path, *, max_seconds: float = MAX_AUDIO_SECONDS) -> Audio:
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    with path.open("rb") as handle:
        fmt, data_offset, data_size = _read_header(handle, path, path.stat().st_size)
        seconds = data_size / fmt.block_align / fmt.rate
        if seconds > max_seconds:
            raise AudioError(f"{path}: {seconds:.1f} s of audio is longer than the {max_seconds:g} s limit")
        handle.seek(data_offset)
        raw = handle.read(data_size)
    frames = len(raw) // fmt.block_align
    if frames == 0:
        raise EmptyAudioError(f"{path}: the WAV file holds no audio samples")
    samples = _decode(raw[: frames * fmt.block_align], fmt)
    return Audio.from_samples(samples, fmt.rate)


def save_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    """Float samples in [-1, 1] (clipped) as a PCM16 mono WAV."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return Path(path)


def _read_header(handle, path: Path, file_size: int) -> tuple[_Format, int, int]:
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise AudioError(f"{path}: not a RIFF/WAVE file")
    fmt = None
    while True:
        chunk = handle.read(8)
        if len(chunk) < 8:
            raise AudioError(f"{path}: corrupt WAV: {'no data chunk' if fmt else 'no fmt chunk'}")
        chunk_id, size = struct.unpack("<4sI", chunk)
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(handle.read(size), path)
            handle.seek(size % 2, 1)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{path}: corrupt WAV: data chunk before fmt chunk")
            offset = handle.tell()
            # a recording cut short (crash, still being written) claims more than it holds: keep what is there
            return fmt, offset, min(size, max(0, file_size - offset))
        else:
            handle.seek(size + size % 2, 1)


def _parse_fmt(body: bytes, path: Path) -> _Format:
    if len(body) < 16:
        raise AudioError(f"{path}: corrupt WAV: fmt chunk of {len(body)} bytes")
    tag, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]  # first two bytes of the sub-format GUID
    if tag not in (PCM, ALAW, MULAW):
        name = _FORMAT_NAMES.get(tag, f"format tag 0x{tag:04x}")
        raise AudioError(f"{path}: unsupported WAV encoding {name}; use PCM16, mu-law or a-law")
    wanted_bits = 16 if tag == PCM else 8
    if bits != wanted_bits:
        raise AudioError(f"{path}: unsupported WAV encoding: {bits}-bit samples; use PCM16, mu-law or a-law")
    if not 1 <= channels <= MAX_CHANNELS or not 1000 <= rate <= 192000 or block_align != channels * bits // 8:
        raise AudioError(f"{path}: corrupt WAV: channels={channels} rate={rate} block_align={block_align}")
    return _Format(tag, channels, rate, bits, block_align)


def _decode(raw: bytes, fmt: _Format) -> np.ndarray:
    if fmt.tag == PCM:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    else:
        table = _MULAW_TABLE if fmt.tag == MULAW else _ALAW_TABLE
        samples = table[np.frombuffer(raw, dtype=np.uint8)]
    if fmt.channels > 1:
        samples = samples.reshape(-1, fmt.channels).mean(axis=1)
    return samples.astype(np.float32)


def _mulaw_table() -> np.ndarray:
    """G.711 mu-law expansion of all 256 codes, scaled to [-1, 1]."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    linear = np.where(code & 0x80, 0x84 - magnitude, magnitude - 0x84)
    return (linear / 32768.0).astype(np.float32)


def _alaw_table() -> np.ndarray:
    """G.711 a-law expansion of all 256 codes, scaled to [-1, 1]."""
    code = np.arange(256, dtype=np.int32) ^ 0x55
    mantissa, segment = code & 0x0F, (code & 0x70) >> 4
    magnitude = np.where(segment == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(segment - 1, 0))
    linear = np.where(code & 0x80, magnitude, -magnitude)
    return (linear / 32768.0).astype(np.float32)


_MULAW_TABLE = _mulaw_table()
_ALAW_TABLE = _alaw_table()


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling of a whole signal (see StreamResampler)."""
    resampler = StreamResampler(from_rate, to_rate)
    return np.concatenate([resampler.push(samples), resampler.flush()])


class StreamResampler:
    """Kaiser-windowed sinc, polyphase, numpy only; fed in chunks it gives the same samples as in one go.

    Output n sits at input time n*down/up whose fractional part takes only `up` values, so one
    kernel per phase is designed up front. Quality is measured in tests/unit/asr/test_audio.py.
    """

    ZERO_CROSSINGS = 16
    KAISER_BETA = 8.6
    BLOCK = 4096

    def __init__(self, from_rate: int, to_rate: int):
        step = gcd(int(from_rate), int(to_rate))
        self.up, self.down = int(to_rate) // step, int(from_rate) // step
        cutoff = min(1.0, self.up / self.down) * 0.95  # fraction of the input Nyquist kept; the rest is roll-off
        self.half_width = int(np.ceil(self.ZERO_CROSSINGS / cutoff))
        self.taps = np.arange(-self.half_width + 1, self.half_width + 1)
        offsets = self.taps - np.arange(self.up)[:, None] / self.up
        window = np.i0(self.KAISER_BETA * np.sqrt(np.clip(1 - (offsets / (self.half_width + 1)) ** 2, 0, 1)))
        self.kernels = (cutoff * np.sinc(cutoff * offsets) * window / np.i0(self.KAISER_BETA)).astype(np.float32)
        self._buffer = np.zeros(self.half_width, np.float32)  # leading zeros: the signal starts at index 0
        self._buffer_start = -self.half_width  # input index of _buffer[0]
        self._received = 0
        self._emitted = 0

    def push(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self.up == self.down:
            self._received += len(samples)
            return samples.copy()
        self._received += len(samples)
        self._buffer = np.concatenate([self._buffer, samples])
        return self._emit(self._buffer_start + len(self._buffer))

    def flush(self) -> np.ndarray:
        if self.up == self.down:
            return np.zeros(0, np.float32)
        self._buffer = np.concatenate([self._buffer, np.zeros(self.half_width + 1, np.float32)])
        total = -(-self._received * self.up // self.down)  # ceil: every input sample is covered
        return self._emit(self._buffer_start + len(self._buffer), limit=total)

    def _emit(self, available_end: int, limit: int | None = None) -> np.ndarray:
        # output n needs input up to floor(n*down/up) + half_width
        last = ((available_end - 1 - self.half_width + 1) * self.up - 1) // self.down
        stop = last + 1 if limit is None else min(last + 1, limit)
        chunks = []
        for start in range(self._emitted, stop, self.BLOCK):
            index = np.arange(start, min(start + self.BLOCK, stop), dtype=np.int64)
            base, phase = np.divmod(index * self.down, self.up)
            window = self._buffer[base[:, None] - self._buffer_start + self.taps]
            chunks.append(np.einsum("ij,ij->i", window, self.kernels[phase]))
        self._emitted = max(self._emitted, stop)
        keep_from = (self._emitted * self.down) // self.up - self.half_width + 1  # first input still needed
        if keep_from > self._buffer_start:
            self._buffer = self._buffer[keep_from - self._buffer_start :]
            self._buffer_start = keep_from
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def is_silent(audio: Audio, *, threshold_dbfs: float = -45.0, min_speech_seconds: float = 0.3) -> bool:
    """True when fewer than min_speech_seconds of 20 ms frames rise above threshold_dbfs (RMS).

    A plain energy gate: telephone line noise sits near -60 dBFS, speech at -30..-10 dBFS.
    """
    frame = max(1, int(audio.sample_rate * 0.02))
    frames = len(audio.samples) // frame
    if frames == 0:
        return True
    blocks = audio.samples[: frames * frame].astype(np.float64).reshape(frames, frame)
    rms = np.sqrt(np.mean(blocks**2, axis=1)) + 1e-12
    loud = np.count_nonzero(20 * np.log10(rms) > threshold_dbfs)
    return bool(loud * 0.02 < min_speech_seconds)
