"""Whisper engine (faster-whisper on CTranslate2): what the caller said in simplified 汉字, with word
times and probabilities. Any CTranslate2 Whisper model directory works (HOTLINE_WHISPER_MODEL_DIR);
the default is whisper-base assembled by `hotline models install whisper-base`.

Whisper decodes whole utterances, not a live stream: the stream keeps the audio and decodes at finish.
Settings were measured on real 8 kHz Mandarin (issue 11, docs/decisions.md "ASR: the 汉字 engine").
"""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import numpy as np

from asr.audio import resample
from asr.base import AsrError, StreamBase, StreamingEngine, Token, Transcript
from asr.hanzi import find_keywords, is_mostly_repetition, to_simplified
from asr.pinyin import hanzi_to_pinyin
from hotline.core.logging import log_event

log = logging.getLogger(__name__)

MODEL_SETTING = "HOTLINE_WHISPER_MODEL_DIR"
MODEL_RATE = 16000
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
DECODE_OPTIONS = {
    "language": "zh",
    "beam_size": 5,
    # Silero VAD first: without it, -40 dBFS noise came out as invented sentences
    "vad_filter": True,
    # bounded fallback and output length: without them one repetition loop took 11-28 s on a 15 s input
    "temperature": (0.0, 0.4, 0.8),
    "max_new_tokens": 224,
    "word_timestamps": True,
    # no initial_prompt: a hotline-vocabulary prompt measured 2-6 points worse (it made Whisper drop clauses)
}
_PUNCTUATION_END = re.compile(r"[，。！？、；：,.!?;:]$")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def whisper_model_dir(settings) -> Path:
    """settings.whisper_model_dir, else whisper-base in settings.models_dir."""
    return Path(settings.whisper_model_dir or Path(settings.models_dir) / "whisper-base")


class WhisperEngine(StreamingEngine):
    name = "whisper"

    def __init__(self, model_dir: Path, keywords: list[str] | None = None, *, num_threads: int = 2,
                 max_seconds: float = 120):
        self.model_dir = Path(model_dir)
        self.model = self.model_dir.name
        self.max_seconds = max_seconds
        self.keywords = [k.strip() for k in keywords or [] if k.strip()]
        missing = [name for name in MODEL_FILES if not (self.model_dir / name).is_file()]
        if not self.model_dir.is_dir() or missing:
            what = "no such directory" if not self.model_dir.is_dir() else f"missing {', '.join(missing)}"
            raise AsrError(f"{MODEL_SETTING}={self.model_dir}: {what} (Whisper model); "
                           "run `hotline models install whisper-base`")
        from faster_whisper import WhisperModel  # imports ctranslate2 and onnxruntime: only when used

        started = time.perf_counter()
        try:
            self.whisper = WhisperModel(str(self.model_dir), device="cpu", compute_type="int8",
                                        cpu_threads=num_threads)
        except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError with the C++ message
            raise AsrError(f"{MODEL_SETTING}={self.model_dir}: Whisper model failed to load: {exc}") from exc
        log_event(log, "whisper model loaded", model_dir=str(self.model_dir), threads=num_threads,
                  load_seconds=round(time.perf_counter() - started, 2))

    def stream(self, sample_rate: int) -> WhisperStream:
        return WhisperStream(self, sample_rate)

    def decode(self, samples_16k: np.ndarray) -> list:
        segments, _info = self.whisper.transcribe(samples_16k, **DECODE_OPTIONS)
        return list(segments)  # the generator decodes lazily: consume it here, inside the timed call


class WhisperStream(StreamBase):
    def __init__(self, engine: WhisperEngine, sample_rate: int):
        super().__init__(sample_rate)
        self.engine = engine

    def _accept(self, samples: np.ndarray) -> None:
        """Nothing to do per chunk: StreamBase keeps the samples and Whisper decodes them at finish."""

    def partial(self) -> str:
        return ""

    def _finish(self) -> Transcript:
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        if self.sample_rate != MODEL_RATE:
            samples = resample(samples, self.sample_rate, MODEL_RATE)
        segments = self.engine.decode(samples.astype(np.float32)) if len(samples) else []
        tokens = segment_tokens(segments)
        text = join_segments(segments)
        if text and is_mostly_repetition(text):
            log_event(log, "whisper output rejected: mostly repetition", chars=len(text))
            text, tokens = "", []
        probabilities = [t.probability for t in tokens if t.probability is not None]
        return Transcript(
            engine=self.engine.name, model=self.engine.model, text=text,
            pinyin=hanzi_to_pinyin(text) or None, tokens=tokens,
            keywords=find_keywords(tokens, self.engine.keywords),
            confidence=round(float(np.mean(probabilities)), 3) if probabilities else None,
        )

    def finish(self) -> Transcript:
        transcript = super().finish()
        if transcript.no_speech:  # the energy gate heard nothing: whatever Whisper wrote is invented
            transcript.text, transcript.pinyin, transcript.tokens, transcript.keywords = "", None, [], []
            transcript.confidence = None
        return transcript


def segment_tokens(segments: list) -> list[Token]:
    """One token per Whisper word, in simplified characters, with its time and probability."""
    tokens = []
    for segment in segments:
        for word in segment.words or []:
            text = to_simplified(word.word.strip())
            if text:
                tokens.append(Token(text, round(float(word.start), 2), round(float(word.end), 2),
                                    round(float(word.probability), 3)))
    return tokens


def join_segments(segments: list) -> str:
    """Segments joined with '，' where Whisper left no punctuation; spaces between 汉字 are pauses too."""
    parts = []
    for segment in segments:
        text = to_simplified(_CJK_SPACE.sub("，", segment.text.strip()))
        if text:
            parts.append(text)
    joined = ""
    for part in parts:
        joined += ("" if not joined or _PUNCTUATION_END.search(joined) else "，") + part
    return joined
