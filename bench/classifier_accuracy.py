"""Classifier accuracy on the labelled 12345 utterances: 汉字 input vs what the pinyin ASR engine outputs.

    .venv/bin/python bench/classifier_accuracy.py [--spoken]
Baselines in the same run: 汉字 text (upper bound for rules), pinyin only, pinyin + spotter keyword hits
(the sherpa-onnx engine's real output), keyword hits only. --spoken also classifies what the 汉字 engine
(Whisper) really writes for the held-out utterances spoken by espeak-ng at 8 kHz (synthetic speech: a
pessimistic stand-in for callers), and that text's CER.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the `asr` package, not bench/asr.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the labelled utterances (test data)

from tickets_evaluation import HELD_OUT_SET, MODES, evaluate, load_utterances  # noqa: E402


def _pct(ok_n: tuple[int, int]) -> str:
    ok, n = ok_n
    return f"{100 * ok / n:5.1f}% ({ok}/{n})"


def spoken(utterances: list[dict]) -> None:
    """Held-out utterances → espeak-ng (cmn, 8 kHz) → Whisper → classifier, against the labels."""
    from asr.audio import load_wav, resample, save_wav
    from asr.engines import load_engine
    from asr.metrics import character_error_rate
    from hotline.core.config import Settings
    from hotline.tickets.classifier import classify

    engine = load_engine(Settings(), name="whisper")
    texts, ok = [], {"category": 0, "request_type": 0, "urgency": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for n, utterance in enumerate(utterances):
            wav = Path(tmp) / f"{n}.wav"
            subprocess.run(["espeak-ng", "-v", "cmn", "-s", "170", "-w", str(wav), utterance["text"]], check=True)
            audio = load_wav(wav)
            save_wav(wav, resample(audio.samples, audio.sample_rate, 8000), 8000)
            text = engine.transcribe_file(wav).text
            texts.append(text)
            result = classify(text)
            for key in ok:
                ok[key] += getattr(result, key) == utterance["expected"][key]
    n = len(utterances)
    cer = character_error_rate([u["text"] for u in utterances], texts)
    print(f"\nspoken held-out set (espeak-ng → Whisper, 8 kHz): CER {cer:.3f}; category {100 * ok['category'] / n:.1f}%"
          f"  type {100 * ok['request_type'] / n:.1f}%  urgency {100 * ok['urgency'] / n:.1f}%")


def main() -> None:
    utterances = load_utterances()
    results = {}
    for mode in MODES:
        started = time.perf_counter()
        results[mode] = evaluate(utterances, mode)
        results[mode]["ms_per_utterance"] = 1000 * (time.perf_counter() - started) / len(utterances)
    modes = list(MODES)
    print(f"{len(utterances)} labelled utterances\n")
    print(f"{'metric':<22}" + "".join(f"{m:>20}" for m in modes))
    for metric in ("category_accuracy", "request_type_accuracy", "urgency_accuracy", "location_accuracy", "ms_per_utterance"):
        fmt = "{:>19.1f}%" if metric != "ms_per_utterance" else "{:>19.2f} "
        scale = 100 if metric != "ms_per_utterance" else 1
        print(f"{metric:<22}" + "".join(fmt.format(scale * results[m][metric]) for m in modes))
    held_out = load_utterances(HELD_OUT_SET)
    print(f"\nheld-out set ({len(held_out)} utterances written after tuning):")
    for mode in modes:
        r = evaluate(held_out, mode)
        print(f"  {mode:<12} category {100 * r['category_accuracy']:5.1f}%  type {100 * r['request_type_accuracy']:5.1f}%"
              f"  urgency {100 * r['urgency_accuracy']:5.1f}%  location {100 * r['location_accuracy']:5.1f}%")
    if "--spoken" in sys.argv:
        spoken(held_out)
    for table in ("category", "request_type"):
        print(f"\nper {table}:")
        for key in results["hanzi"][table]:
            print(f"  {key:<16}" + "".join(f"{_pct(results[m][table][key]):>20}" for m in modes))


if __name__ == "__main__":
    main()
