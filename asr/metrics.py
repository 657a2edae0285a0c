"""Error rates for tests and benchmarks: edit distance over syllables or characters."""
from __future__ import annotations

from collections.abc import Sequence


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def error_rate(references: Sequence[Sequence[str]], hypotheses: Sequence[Sequence[str]]) -> float:
    """Total edits / total reference units over a corpus (the usual WER/CER/SER definition)."""
    errors = sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True))
    return errors / max(1, sum(len(r) for r in references))
