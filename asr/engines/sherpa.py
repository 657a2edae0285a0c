"""sherpa-onnx engine: a streaming zipformer transducer whose units are toned pinyin, plus its
KeywordSpotter for 汉字 keywords. Any model directory of the same kind works (HOTLINE_ASR_MODEL_DIR)."""
from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path

import numpy as np
import sherpa_onnx

from asr.audio import StreamResampler
from asr.base import AsrError, KeywordHit, StreamBase, StreamingEngine, Transcript
from asr.limits import MAX_AUDIO_SECONDS
from asr.pinyin import keyword_lines, syllable_tokens, units_to_syllables
from hotline.core.logging import log_event

log = logging.getLogger(__name__)

MODEL_SETTING = "HOTLINE_ASR_MODEL_DIR"
MODEL_RATE = 16000
# the encoder sees 16-frame chunks with lookahead: trailing silence flushes the last syllables
TAIL_PADDING_SECONDS = 0.66
# one KeywordSpotter decode step consumes 0.32 s (chunk-16 models: 8 encoder frames of 40 ms); its
# timestamps restart at each reset, so a hit's time = steps before the last reset * this + timestamp.
# Measured against the recognizer's token times on test_wavs/3.wav: within 0.32 s.
KWS_STEP_SECONDS = 0.32


def model_files(model_dir: Path) -> dict[str, Path]:
    """tokens.txt and encoder/decoder/joiner *.onnx; the int8 variant is preferred when both exist."""
    if not model_dir.is_dir():
        raise AsrError(f"{MODEL_SETTING}={model_dir}: no such directory (sherpa-onnx model)")
    files = {"tokens": model_dir / "tokens.txt"}
    if not files["tokens"].is_file():
        raise AsrError(f"{MODEL_SETTING}={model_dir}: tokens.txt is missing")
    for part in ("encoder", "decoder", "joiner"):
        found = sorted(model_dir.glob(f"{part}*.onnx"), key=lambda p: (".int8." not in p.name, p.name))
        if not found:
            raise AsrError(f"{MODEL_SETTING}={model_dir}: no {part}*.onnx file")
        files[part] = found[0]
    return files


class SherpaEngine(StreamingEngine):
    name = "sherpa-onnx"

    def __init__(self, model_dir: Path, keywords: list[str] | None = None, *, num_threads: int = 1,
                 max_seconds: float = MAX_AUDIO_SECONDS):
        self.model_dir = Path(model_dir)
        self.model = self.model_dir.name
        self.max_seconds = max_seconds
        files = model_files(self.model_dir)
        common = {k: str(v) for k, v in files.items()} | {"num_threads": num_threads, "sample_rate": MODEL_RATE}
        try:
            self.recognizer = sherpa_onnx.OnlineRecognizer.from_transducer(**common, decoding_method="greedy_search")
        except Exception as exc:  # sherpa raises RuntimeError/ValueError with the C++ message
            raise AsrError(f"{MODEL_SETTING}={self.model_dir}: model failed to load: {exc}") from exc
        vocabulary = {line.split()[0] for line in files["tokens"].read_text("utf-8").splitlines() if line.strip()}
        self.keywords = keyword_lines(keywords or [], vocabulary)
        self.spotter = self._load_spotter(common) if self.keywords else None
        log_event(log, "sherpa-onnx model loaded", model_dir=str(self.model_dir), keywords=len(self.keywords))

    def _load_spotter(self, common: dict) -> sherpa_onnx.KeywordSpotter:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as keywords_file:
            keywords_file.write("".join(f"{units} @{word}\n" for word, units in self.keywords.items()))
            keywords_file.flush()
            try:
                return sherpa_onnx.KeywordSpotter(**common, keywords_file=keywords_file.name)
            except Exception as exc:
                raise AsrError(f"{MODEL_SETTING}={self.model_dir}: keyword spotter failed to load: {exc}") from exc

    def stream(self, sample_rate: int) -> SherpaStream:
        return SherpaStream(self, sample_rate)


class SherpaStream(StreamBase):
    """Feeds the recognizer and the keyword spotter the same samples as they arrive.

    Audio at other rates is resampled to 16 kHz here (asr.audio.StreamResampler) rather than by
    sherpa-onnx: fewer pinyin errors on 8 kHz telephone audio and no resampler log line per call
    (measured: docs/decisions.md, "ASR: 8 kHz handling and engines").
    """

    def __init__(self, engine: SherpaEngine, sample_rate: int):
        super().__init__(sample_rate)
        self.engine = engine
        self._asr = engine.recognizer.create_stream()
        self._kws = engine.spotter.create_stream() if engine.spotter else None
        self._resampler = StreamResampler(sample_rate, MODEL_RATE) if sample_rate != MODEL_RATE else None
        self._hits: list[KeywordHit] = []
        self._kws_steps = 0
        self._kws_reset_at_step = 0

    def _accept(self, samples: np.ndarray) -> None:
        self._feed(self._resampler.push(samples) if self._resampler else samples)

    def _feed(self, samples: np.ndarray) -> None:
        for stream in self._streams():
            stream.accept_waveform(MODEL_RATE, samples)
        self._decode()

    def _streams(self) -> list:
        return [self._asr] if self._kws is None else [self._asr, self._kws]

    def partial(self) -> str:
        return units_to_syllables(" ".join(self.engine.recognizer.get_result_all(self._asr).tokens))

    def keyword_hits(self) -> list[KeywordHit]:
        return list(self._hits)

    def _decode(self) -> None:
        recognizer = self.engine.recognizer
        while recognizer.is_ready(self._asr):
            recognizer.decode_stream(self._asr)
        if self._kws is not None and self.engine.spotter is not None:
            self._spot(self.engine.spotter)

    def _spot(self, spotter: sherpa_onnx.KeywordSpotter) -> None:
        while spotter.is_ready(self._kws):
            spotter.decode_stream(self._kws)
            self._kws_steps += 1
            result = spotter.keyword_spotter.get_result(self._kws)
            if result.keyword:
                word = result.keyword.strip()
                offset = self._kws_reset_at_step * KWS_STEP_SECONDS
                start = offset + (result.timestamps[0] if result.timestamps else 0.0)
                syllables = units_to_syllables(self.engine.keywords.get(word, ""))
                self._hits.append(KeywordHit(word, syllables, round(start, 2)))
                spotter.reset_stream(self._kws)
                self._kws_reset_at_step = self._kws_steps

    def _finish(self) -> Transcript:
        if self._resampler:
            self._feed(self._resampler.flush())
        self._feed(np.zeros(int(TAIL_PADDING_SECONDS * MODEL_RATE), dtype=np.float32))
        for stream in self._streams():
            stream.input_finished()
        self._decode()
        result = self.engine.recognizer.get_result_all(self._asr)
        tokens = syllable_tokens(result.tokens, result.timestamps)
        probs = list(getattr(result, "ys_probs", []) or [])
        return Transcript(
            engine=self.engine.name, model=self.engine.model,
            text="",  # the model writes no characters; the spotted words are in `keywords`
            pinyin=" ".join(t.text for t in tokens),
            tokens=tokens, keywords=list(self._hits),
            confidence=round(math.exp(sum(probs) / len(probs)), 3) if probs else None,
        )
