"""Pinyin space: turn 汉字 and ASR pinyin output into comparable syllable lists for ticket matching.

The sherpa-onnx Mandarin model emits toned pinyin either as whole syllables ("nǐ hǎo") or as its
initial/final tokens ("n ǐ h ǎo"); both normalise to the same syllables here. Generic pinyin text
helpers (汉字 → pinyin, tone stripping, the model's initials) come from asr.pinyin.
"""
from __future__ import annotations

import re
from functools import lru_cache

from asr.pinyin import INITIALS, hanzi_to_pinyin, strip_tones

_TOKEN = re.compile(r"[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def plain(syllable: str) -> str:
    """Tone-free form used for matching: 'nǚ' -> 'nv', 'jū' -> 'ju' (ü written v so 女 and 努 stay apart)."""
    return strip_tones(syllable.lower()).replace("ü", "v")


def syllables(pinyin_text: str | None) -> list[str]:
    """Toned syllables from ASR pinyin text, joining initial/final tokens ("h ǎo" -> "hǎo").
    Free text, unlike asr.pinyin.units_to_syllables: anything but pinyin letters splits tokens, and an
    initial followed by another joins it ("h m" -> "hm", 噷)."""
    if not pinyin_text:
        return []
    tokens = [t.lower() for t in _TOKEN.findall(pinyin_text)]
    merged: list[str] = []
    pending = ""
    for token in tokens:
        if token in INITIALS and not pending:
            pending = token
            continue
        merged.append(pending + token)
        pending = ""
    if pending:
        merged.append(pending)
    return merged


@lru_cache(maxsize=4096)
def hanzi_syllables(text: str) -> tuple[str, ...]:
    """Toned syllables of the 汉字 in `text` (other characters, and 汉字 without a reading, dropped)."""
    han = "".join(_HAN.findall(text))  # joined first: pypinyin picks a polyphone's reading by its neighbours
    return tuple(hanzi_to_pinyin(han).split()) if han else ()


def to_pinyin_text(text: str) -> str:
    """What the engine would output for `text`: space-separated toned syllables."""
    return " ".join(hanzi_syllables(text))


def find_sequence(haystack: list[str], needle: tuple[str, ...] | list[str]) -> list[int]:
    """Start indexes where `needle` occurs in `haystack` as whole syllables."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return []
    first = needle[0]
    return [i for i in range(len(haystack) - n + 1)
            if haystack[i] == first and tuple(haystack[i:i + n]) == tuple(needle)]
