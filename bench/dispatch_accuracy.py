"""Accuracy of the suggested 承办单位 on the labelled requests (tests/data/dispatch_labelled.yaml), against
routing by category alone in the same run (same as `hotline dispatch evaluate`); and what the suggestion adds
to a ticket's classification: classify() alone (the baseline) vs classify() + suggestion_for() per request.

    .venv/bin/python bench/dispatch_accuracy.py [LABELLED.yaml]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline.dispatch.evaluate import LABELLED, load_labelled, report  # noqa: E402
from hotline.dispatch.suggestion import suggestion_for  # noqa: E402
from hotline.tickets.classifier import classify  # noqa: E402


def _ticket(text: str, line: str) -> SimpleNamespace:
    result = classify(text, None, [], line)
    empty = SimpleNamespace(text="", keyword_words=[])
    return SimpleNamespace(category=result.category, address="", location_hints=result.location_hints,
                           hanzi=SimpleNamespace(text=text), transcript=empty, matched=result.matched)


def timing(items: list[dict], rounds: int = 20) -> None:
    alone, routed = [], []
    for _ in range(rounds):
        for item in items:
            line = item.get("line", "general")
            started = time.perf_counter()
            classify(item["text"], None, [], line)
            alone.append(time.perf_counter() - started)
            started = time.perf_counter()
            suggestion_for(_ticket(item["text"], line))
            routed.append(time.perf_counter() - started)
    p = lambda xs, q: statistics.quantiles(xs, n=100)[q - 1] * 1000  # noqa: E731
    print(f"classify alone: p50 {p(alone, 50):.3f} ms, p99 {p(alone, 99):.3f} ms; "
          f"classify + suggestion: p50 {p(routed, 50):.3f} ms, p99 {p(routed, 99):.3f} ms "
          f"({len(alone)} requests each)")


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else LABELLED
    text, _ = report(path)
    print(text)
    timing(load_labelled(path))
