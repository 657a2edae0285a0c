"""hotline asr transcribe and hotline models, through the real CLI app."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from hotline.cli import app

runner = CliRunner()


def test_transcribe_8k_prints_one_json_object(wavs_8k):
    result = runner.invoke(app, ["asr", "transcribe", str(wavs_8k / "4.wav"), "-e", "sherpa-onnx",
                                 "-k", "女儿", "-k", "蒋友伯"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"engine", "model", "text", "pinyin", "keywords", "confidence", "audio_seconds", "processing_seconds"}
    assert data["engine"] == "sherpa-onnx" and "nǚ ér" in data["pinyin"]
    assert [k["word"] for k in data["keywords"]] == ["蒋友伯", "女儿"]


def test_transcribe_16k_with_vosk(sherpa_model_dir, vosk_ko_model_dir, monkeypatch):
    monkeypatch.setenv("HOTLINE_VOSK_MODEL_DIR", str(vosk_ko_model_dir))
    result = runner.invoke(app, ["asr", "transcribe", str(sherpa_model_dir / "test_wavs" / "5.wav"), "--engine", "vosk"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["engine"] == "vosk"


def test_bad_file_exits_2_with_a_message(tmp_path):
    (tmp_path / "x.wav").write_text("hello")
    result = runner.invoke(app, ["asr", "transcribe", str(tmp_path / "x.wav")])
    assert result.exit_code == 2 and "not a RIFF/WAVE" in result.stderr and result.stdout == ""
    result = runner.invoke(app, ["asr", "transcribe", str(tmp_path / "none.wav")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_missing_model_exits_3_naming_the_setting(tmp_path, wavs_8k, monkeypatch):
    monkeypatch.setenv("HOTLINE_ASR_MODEL_DIR", str(tmp_path / "gone"))
    result = runner.invoke(app, ["asr", "transcribe", str(wavs_8k / "4.wav"), "--engine", "sherpa-onnx"])
    assert result.exit_code == 3 and "HOTLINE_ASR_MODEL_DIR=" in result.stderr


def test_models_list_and_failed_install(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_MODELS_DIR", str(tmp_path))
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0 and "vosk-model-small-cn-0.22" in result.stdout
    (tmp_path / "short.zip").write_bytes(b"x" * 10)
    result = runner.invoke(app, ["models", "install", "vosk-model-small-cn-0.22", "--from", str(tmp_path / "short.zip")])
    assert result.exit_code == 2 and "43,898,754" in result.stderr
