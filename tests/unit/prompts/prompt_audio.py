"""Test audio for the prompt tests: tones, silence and noise as WAV files of known length."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, channels: int = 1) -> Path:
    data = np.clip(samples, -1, 1)
    frames = (np.repeat(data[:, None], channels, axis=1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return path


def tones(path: Path, steps: list[tuple[float, float]], rate: int = 16000, channels: int = 1,
          level: float = 0.5) -> Path:
    """A WAV of consecutive sine tones: steps [(hz, seconds), ...] (hz 0: silence)."""
    parts = [level * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate) for hz, seconds in steps]
    return write_wav(path, np.concatenate(parts) if parts else np.zeros(0), rate, channels)


def tone(path: Path, seconds: float, hz: float = 440.0, **options) -> Path:
    return tones(path, [(hz, seconds)], **options)


def noise(path: Path, seconds: float, level: float, rate: int = 16000) -> Path:
    return write_wav(path, level * np.random.default_rng(7).uniform(-1, 1, int(seconds * rate)), rate)
