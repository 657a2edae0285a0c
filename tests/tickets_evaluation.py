"""Accuracy of the classifier on a labelled utterance set (tests/data/tickets/utterances.yaml).

Modes are the inputs the classifier can get: 汉字 text, the pinyin-only engine's output with or
without its keyword hits, or the keyword hits alone.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from hotline.core.config import PROJECT_DIR
from hotline.tickets.classifier import Classification, classify
from hotline.tickets.pinyin import plain, syllables

LABELLED_SET = PROJECT_DIR / "tests" / "data" / "tickets" / "utterances.yaml"
HELD_OUT_SET = LABELLED_SET.with_name("utterances_heldout.yaml")  # never used to tune the rules
MODES = {
    "hanzi": lambda u: classify(u["text"]),
    "pinyin": lambda u: classify(None, u["pinyin"]),
    "pinyin+hits": lambda u: classify(None, u["pinyin"], u["keyword_hits"]),
    "hits-only": lambda u: classify(None, None, u["keyword_hits"]),
}


def load_utterances(path: Path = LABELLED_SET) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["utterances"]


def _norm(hint: str) -> str:
    """Compare 汉字 hints directly and pinyin hints tone-free."""
    return " ".join(plain(s) for s in syllables(hint)) if hint.isascii() or " " in hint else hint


def location_found(result: Classification, expected: dict) -> bool:
    want = expected["location"]
    if not want:
        return True
    wants = {_norm(want), _norm(expected.get("location_pinyin") or want)}
    return any(w in _norm(h) for h in result.location_hints for w in wants)


def evaluate(utterances: list[dict], mode: str) -> dict:
    """{"overall": acc, "category": {name: (ok, n)}, "request_type": {...}, "urgency": acc, "location": acc}."""
    run = MODES[mode]
    by_cat, by_type = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    cat_ok = type_ok = urgency_ok = location_ok = 0
    for utterance in utterances:
        expected, result = utterance["expected"], run(utterance)
        hit_cat = result.category == expected["category"]
        hit_type = result.request_type == expected["request_type"]
        for table, key, hit in ((by_cat, expected["category"], hit_cat), (by_type, expected["request_type"], hit_type)):
            table[key][0] += hit
            table[key][1] += 1
        cat_ok += hit_cat
        type_ok += hit_type
        urgency_ok += result.urgency == expected["urgency"]
        location_ok += location_found(result, expected)
    n = len(utterances)
    return {"n": n, "category_accuracy": cat_ok / n, "request_type_accuracy": type_ok / n,
            "urgency_accuracy": urgency_ok / n, "location_accuracy": location_ok / n,
            "category": {k: tuple(v) for k, v in by_cat.items()},
            "request_type": {k: tuple(v) for k, v in by_type.items()}}
