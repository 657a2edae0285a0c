"""Classifier accuracy on the labelled 12345 utterances: 汉字 input vs what the pinyin ASR engine outputs.

    .venv/bin/python bench/classifier_accuracy.py
Baselines in the same run: 汉字 text (upper bound for rules), pinyin only, pinyin + spotter keyword hits
(the sherpa-onnx engine's real output), keyword hits only.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the `asr` package, not bench/asr.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the labelled utterances (test data)

from tickets_evaluation import HELD_OUT_SET, MODES, evaluate, load_utterances  # noqa: E402


def _pct(ok_n: tuple[int, int]) -> str:
    ok, n = ok_n
    return f"{100 * ok / n:5.1f}% ({ok}/{n})"


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
    for table in ("category", "request_type"):
        print(f"\nper {table}:")
        for key in results["hanzi"][table]:
            print(f"  {key:<16}" + "".join(f"{_pct(results[m][table][key]):>20}" for m in modes))


if __name__ == "__main__":
    main()
