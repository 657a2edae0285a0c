"""Pinyin helpers for the sherpa-onnx pinyin model: its tokens are initials and toned finals
("n ǐ h ǎo"); people read syllables ("nǐ hǎo"); keywords are given as 汉字 ("你好")."""
from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence

from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.contrib.tone_convert import to_finals_tone, to_initials

from asr.base import Token
from hotline.core.logging import log_event

log = logging.getLogger(__name__)

INITIALS = frozenset("b p m f d t n l g k h j q x zh ch sh r z c s y w".split())
TOKEN_SECONDS = 0.04  # one encoder frame after subsampling: the shortest a token can last


def syllable_tokens(units: Sequence[str], times: Sequence[float]) -> list[Token]:
    """Join model units into syllables: an initial binds to the final after it ("n", "ǐ" -> "nǐ")."""
    syllables: list[Token] = []
    pending: tuple[str, float] | None = None
    for unit, start in zip(units, times, strict=False):  # a unit without a time is dropped, as before
        unit = unit.strip()
        if not unit:
            continue
        if unit in INITIALS:
            if pending:  # two initials in a row: keep the first as it is rather than lose it
                syllables.append(Token(pending[0], pending[1], start))
            pending = (unit, start)
            continue
        text, begin = (pending[0] + unit, pending[1]) if pending else (unit, start)
        syllables.append(Token(text, begin, start + TOKEN_SECONDS))
        pending = None
    if pending:
        syllables.append(Token(pending[0], pending[1], pending[1] + TOKEN_SECONDS))
    return _close_gaps(syllables)


def _close_gaps(syllables: list[Token]) -> list[Token]:
    """A syllable lasts until the next one starts, capped at 0.5 s (pauses are not speech)."""
    closed = []
    for current, following in zip(syllables, syllables[1:] + [None], strict=False):
        end = current.end if following is None else max(current.end, min(following.start, current.start + 0.5))
        closed.append(Token(current.text, current.start, end))
    return closed


def model_units(word: str) -> list[str]:
    """汉字 -> the model's units: initials + toned finals, as sherpa-onnx's text2token (ppinyin) does."""
    units = []
    for (syllable,) in pinyin(word, style=Style.TONE, errors="ignore"):
        initial = to_initials(syllable, strict=False)
        final = to_finals_tone(syllable, strict=False)
        units += [u for u in (initial, final) if u]
    return units


def keyword_lines(words: Iterable[str], vocabulary: set[str]) -> dict[str, str]:
    """{汉字 keyword: "n ǐ h ǎo"} for every keyword the model can spell; others are logged and skipped."""
    lines: dict[str, str] = {}
    for word in words:
        word = word.strip()
        units = model_units(word) if word else []
        missing = [u for u in units if u not in vocabulary]
        if not units or missing:
            log_event(log, "keyword skipped: not spellable with the model's tokens", logging.WARNING,
                      keyword=word, missing_tokens=missing)
            continue
        lines[word] = " ".join(units)
    return lines


def hanzi_to_pinyin(text: str) -> str:
    """"你好吗" -> "nǐ hǎo ma" (toned syllables; non-Chinese characters dropped)."""
    return " ".join(lazy_pinyin(text, style=Style.TONE, errors="ignore", v_to_u=True))


def units_to_syllables(units: str) -> str:
    """"n ǐ h ǎo" -> "nǐ hǎo"."""
    parts = units.split()
    return " ".join(t.text for t in syllable_tokens(parts, [0.0] * len(parts)))


def strip_tones(text: str) -> str:
    """"nǚ ér" -> "nü er"."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn" or ch == "\u0308")
    return unicodedata.normalize("NFC", kept)
