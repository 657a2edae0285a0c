"""Engine selection by settings; the model is loaded once per load_engine call.

Two roles (docs/architecture.md, "ASR passes"): settings.asr_engine writes what the caller said in
汉字 (default whisper; vosk is the client's production option), settings.asr_keyword_engine spots the
taxonomy's keywords fast (sherpa-onnx)."""
from __future__ import annotations

from asr.base import AsrError, Engine

ENGINES = ("whisper", "sherpa-onnx", "vosk")


def load_engine(settings, keywords: list[str] | None = None, name: str | None = None) -> Engine:
    """Load engine `name` (default settings.asr_engine); keywords (汉字) are spotted by sherpa-onnx,
    matched in the text by Whisper and Vosk."""
    setting = "engine" if name else "HOTLINE_ASR_ENGINE"
    name = name or settings.asr_engine
    if name == "whisper":
        from asr.engines.whisper import WhisperEngine, whisper_model_dir

        return WhisperEngine(whisper_model_dir(settings), keywords, num_threads=settings.whisper_threads)
    if name == "sherpa-onnx":
        from asr.engines.sherpa import SherpaEngine

        return SherpaEngine(settings.asr_model_dir, keywords)
    if name == "vosk":
        from asr.engines.vosk import VoskEngine, vosk_model_dir

        return VoskEngine(vosk_model_dir(settings), keywords)
    raise AsrError(f"{setting}={name!r}: unknown engine; choose one of {', '.join(ENGINES)}")
