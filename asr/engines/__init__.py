"""Engine selection by settings.asr_engine; the model is loaded once per load_engine call."""
from __future__ import annotations

from asr.base import AsrError, Engine

ENGINES = ("sherpa-onnx", "vosk")


def load_engine(settings, keywords: list[str] | None = None) -> Engine:
    """Load the configured engine; keywords (汉字) are spotted by sherpa-onnx, matched in text by Vosk."""
    name = settings.asr_engine
    if name == "sherpa-onnx":
        from asr.engines.sherpa import SherpaEngine

        return SherpaEngine(settings.asr_model_dir, keywords)
    if name == "vosk":
        from asr.engines.vosk import VoskEngine, vosk_model_dir

        return VoskEngine(vosk_model_dir(settings), keywords)
    raise AsrError(f"HOTLINE_ASR_ENGINE={name!r}: unknown engine; choose one of {', '.join(ENGINES)}")
