"""Pinyin space: turn 汉字 and ASR pinyin output into comparable syllable lists.

The sherpa-onnx Mandarin model emits toned pinyin either as whole syllables ("nǐ hǎo") or as its
initial/final tokens ("n ǐ h ǎo"); both normalise to the same syllables here.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

INITIALS = frozenset("b p m f d t n l g k h j q x zh ch sh r z c s y w".split())
_TOKEN = re.compile(r"[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def plain(syllable: str) -> str:
    """Tone-free form used for matching: 'nǚ' -> 'nv', 'jū' -> 'ju' (ü written v so 女 and 努 stay apart)."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    out = []
    for ch in decomposed:
        if ch == "\u0308":  # combining diaeresis: the preceding u is really ü
            out[-1] = "v"
        elif unicodedata.category(ch) != "Mn":
            out.append(ch)
    return "".join(out)


def syllables(pinyin_text: str | None) -> list[str]:
    """Toned syllables from ASR pinyin text, joining initial/final tokens ("h ǎo" -> "hǎo")."""
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
    """Toned syllables of the 汉字 in `text` (other characters dropped)."""
    han = "".join(_HAN.findall(text))
    return tuple(lazy_pinyin(han, style=Style.TONE)) if han else ()


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
