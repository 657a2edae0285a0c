"""Vosk (Kaldi) engine, the client's production choice: vosk-model-cn-0.22 or -small-cn-0.22 in
production, any Vosk model directory here (HOTLINE_VOSK_MODEL_DIR). Kaldi takes 8 kHz as it is."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import vosk

from asr.base import AsrError, StreamBase, StreamingEngine, Token, Transcript
from asr.hanzi import find_keywords
from asr.limits import MAX_AUDIO_SECONDS
from asr.pinyin import hanzi_to_pinyin
from hotline.core.logging import log_event

log = logging.getLogger(__name__)

MODEL_SETTING = "HOTLINE_VOSK_MODEL_DIR"
PREFERRED_MODELS = ("vosk-model-cn-0.22", "vosk-model-small-cn-0.22")
_CJK = r"\u3400-\u9fff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")

vosk.SetLogLevel(-1)  # Kaldi logs every model load and decoder setting to stderr


def vosk_model_dir(settings) -> Path:
    """settings.vosk_model_dir, else the first installed Chinese model in settings.models_dir."""
    if settings.vosk_model_dir:
        return Path(settings.vosk_model_dir)
    tried = [Path(settings.models_dir) / name for name in PREFERRED_MODELS]
    for candidate in tried:
        if candidate.is_dir():
            return candidate
    raise AsrError(
        f"{MODEL_SETTING} is not set and no Vosk model is installed in HOTLINE_MODELS_DIR "
        f"(tried {', '.join(map(str, tried))}); run `hotline models install vosk-model-small-cn-0.22 --from ZIP`"
    )


class VoskEngine(StreamingEngine):
    name = "vosk"

    def __init__(self, model_dir: Path, keywords: list[str] | None = None, *, max_seconds: float = MAX_AUDIO_SECONDS):
        self.model_dir = Path(model_dir)
        self.model = self.model_dir.name
        self.max_seconds = max_seconds
        self.keywords = [k.strip() for k in keywords or [] if k.strip()]
        if not self.model_dir.is_dir():
            raise AsrError(f"{MODEL_SETTING}={self.model_dir}: no such directory (Vosk model)")
        if not any((self.model_dir / p).is_file() for p in ("am/final.mdl", "final.mdl")):
            raise AsrError(f"{MODEL_SETTING}={self.model_dir}: not a Vosk model (no am/final.mdl)")
        try:
            self.vosk_model = vosk.Model(str(self.model_dir))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise AsrError(f"{MODEL_SETTING}={self.model_dir}: Vosk model failed to load: {exc}") from exc
        log_event(log, "vosk model loaded", model_dir=str(self.model_dir))

    def stream(self, sample_rate: int) -> VoskStream:
        return VoskStream(self, sample_rate)


class VoskStream(StreamBase):
    def __init__(self, engine: VoskEngine, sample_rate: int):
        super().__init__(sample_rate)
        self.engine = engine
        self._recognizer = vosk.KaldiRecognizer(engine.vosk_model, float(sample_rate))
        self._recognizer.SetWords(True)
        self._words: list[dict] = []

    def _accept(self, samples: np.ndarray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        if self._recognizer.AcceptWaveform(pcm):  # True at an endpoint: one utterance is final
            self._words += parse_result(self._recognizer.Result())

    def partial(self) -> str:
        pending = json.loads(self._recognizer.PartialResult()).get("partial", "")
        return join_words([w["word"] for w in self._words] + pending.split())

    def _finish(self) -> Transcript:
        self._words += parse_result(self._recognizer.FinalResult())
        tokens = [Token(w["word"], round(w["start"], 3), round(w["end"], 3)) for w in self._words]
        text = join_words([t.text for t in tokens])
        confidences = [w["conf"] for w in self._words if "conf" in w]
        return Transcript(
            engine=self.engine.name, model=self.engine.model, text=text,
            pinyin=hanzi_to_pinyin(text) if re.search(f"[{_CJK}]", text) else None,
            tokens=tokens, keywords=find_keywords(tokens, self.engine.keywords),
            confidence=round(sum(confidences) / len(confidences), 3) if confidences else None,
        )


def parse_result(raw: str) -> list[dict]:
    """Words of one Vosk JSON result ({"result": [{"word", "start", "end", "conf"}], "text"})."""
    try:
        result = json.loads(raw)
    except json.JSONDecodeError:
        log_event(log, "vosk returned unparsable JSON", logging.WARNING, raw=raw[:200])
        return []
    words = result.get("result") or []
    return [w for w in words if isinstance(w, dict) and w.get("word") and "start" in w and "end" in w]


def join_words(words: list[str]) -> str:
    """Vosk separates Chinese words with spaces ("投诉 噪音"); 汉字 text reads without them."""
    return _SPACE_BETWEEN_CJK.sub("", " ".join(words))
