"""What every engine returns and promises. Engines know no hotline rule: audio in, text out."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from asr.audio import Audio, is_silent, load_wav
from asr.limits import MAX_AUDIO_SECONDS


class AsrError(Exception):
    """An engine that cannot run (missing/broken model); the message names the setting and the path."""


@dataclass(frozen=True)
class Token:
    text: str
    start: float  # seconds from the start of the audio
    end: float
    probability: float | None = None  # 0..1 where the engine scores each word (Whisper)


@dataclass(frozen=True)
class KeywordHit:
    word: str  # 汉字, as the keyword was given
    pinyin: str  # toned, syllables separated by spaces: "nǐ hǎo"
    start: float


@dataclass
class Transcript:
    engine: str
    model: str
    text: str  # 汉字 where the engine gives them, else ''
    pinyin: str | None  # toned pinyin, syllables separated by spaces
    tokens: list[Token] = field(default_factory=list)
    keywords: list[KeywordHit] = field(default_factory=list)
    confidence: float | None = None  # 0..1
    audio_seconds: float = 0.0
    processing_seconds: float = 0.0
    no_speech: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class EngineStream(Protocol):
    def accept(self, samples: np.ndarray) -> None:
        """Feed float32 mono samples in [-1, 1] at the stream's sample rate."""

    def partial(self) -> str:
        """The best text so far (pinyin for sherpa-onnx, words for Vosk)."""

    def finish(self) -> Transcript: ...


class Engine(Protocol):
    name: str
    model: str

    def transcribe(self, audio: Audio) -> Transcript: ...

    def transcribe_file(self, path: str | Path) -> Transcript: ...

    def stream(self, sample_rate: int) -> EngineStream: ...


class StreamBase:
    """Shared stream bookkeeping: keeps the audio for the silence check and times the decoding."""

    def __init__(self, sample_rate: int):
        self.sample_rate = int(sample_rate)
        self._chunks: list[np.ndarray] = []
        self._busy_seconds = 0.0

    def accept(self, samples: np.ndarray) -> None:
        started = time.perf_counter()
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._chunks.append(samples)
        self._accept(samples)
        self._busy_seconds += time.perf_counter() - started

    def finish(self) -> Transcript:
        started = time.perf_counter()
        transcript = self._finish()
        audio = Audio.from_samples(np.concatenate(self._chunks) if self._chunks else np.zeros(0), self.sample_rate)
        transcript.audio_seconds = round(audio.seconds, 3)
        transcript.no_speech = is_silent(audio) or not (transcript.text or transcript.pinyin)
        transcript.processing_seconds = round(self._busy_seconds + time.perf_counter() - started, 4)
        return transcript

    def _accept(self, samples: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> Transcript:
        raise NotImplementedError


class StreamingEngine:
    """Whole-file transcription is one stream fed at once: one decoding path for both uses."""

    name: str
    model: str
    max_seconds: float = MAX_AUDIO_SECONDS

    def stream(self, sample_rate: int) -> StreamBase:
        raise NotImplementedError

    def transcribe(self, audio: Audio) -> Transcript:
        stream = self.stream(audio.sample_rate)
        stream.accept(audio.samples)
        return stream.finish()

    def transcribe_file(self, path: str | Path) -> Transcript:
        return self.transcribe(load_wav(path, max_seconds=self.max_seconds))
