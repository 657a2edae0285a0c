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


def normalise_hanzi(text: str) -> str:
    """Both sides of a CER comparison in one written form: simplified characters, no punctuation or spaces,
    Chinese numerals as digits (PyPI cn2an, "幺" read as 一: "幺三五八" and "1358" compare equal),
    Latin letters lower-case. cn2an's rules also turn 一起 into 1起 — on both sides alike."""
    import cn2an  # test/bench extra

    from asr.hanzi import strip_punctuation, to_simplified

    text = strip_punctuation(to_simplified(text)).replace("幺", "一").lower()
    try:
        return cn2an.transform(text, "cn2an")
    except (ValueError, KeyError, IndexError):  # cn2an refuses some odd numeral runs: keep them as written
        return text


def character_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """CER over a corpus after normalise_hanzi on both sides."""
    return error_rate([list(normalise_hanzi(r)) for r in references], [list(normalise_hanzi(h)) for h in hypotheses])
