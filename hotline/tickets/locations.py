"""Location hints: place-like phrases ("阳光花园小区3号楼", "人民路") found by suffix rules from the taxonomy."""
from __future__ import annotations

import re
from functools import lru_cache

from hotline.tickets.pinyin import find_sequence, hanzi_syllables, plain
from hotline.tickets.taxonomy import Location

_NAME_CHAR = re.compile(r"[\u4e00-\u9fff0-9A-Za-z一二三四五六七八九十零]")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans become one ("阳光花园" + "小区" + "3号楼")."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _name_start(rules: Location, text: str, suffix_start: int) -> int:
    start = suffix_start
    while start > 0 and suffix_start - start < rules.max_name_chars:
        ch = text[start - 1]
        if ch in rules.stop_chars or not _NAME_CHAR.match(ch):
            break
        start -= 1
    name = text[start:suffix_start]
    cut = max((name.rfind(word) + len(word) for word in rules.stop_words if word in name), default=0)
    return start + cut


def from_text(rules: Location, text: str) -> list[str]:
    spans = []
    for suffix in sorted(rules.suffixes, key=len, reverse=True):
        for match in re.finditer(re.escape(suffix), text):
            start = _name_start(rules, text, match.start())
            candidate = text[start:match.end()]
            if match.start() - start < rules.min_name_chars:
                continue
            if candidate in rules.suffixes or any(candidate.endswith(word) for word in rules.reject):
                continue
            spans.append((start, match.end()))
    return list(dict.fromkeys(text[s:e] for s, e in _merge(spans)))


@lru_cache(maxsize=64)
def _pinyin_suffixes(suffixes: tuple[str, ...]) -> list[tuple[str, ...]]:
    return sorted((hanzi_syllables(s) for s in suffixes), key=len, reverse=True)


def from_pinyin(rules: Location, toned: list[str]) -> list[str]:
    """Same idea on toned syllables: suffixes must match with tones; the name stops at function syllables."""
    stops = set(rules.pinyin_stop_syllables)
    spans = []
    for suffix in _pinyin_suffixes(tuple(rules.pinyin_suffixes)):
        for index in find_sequence(toned, suffix):
            start = index
            while start > 0 and index - start < rules.max_name_syllables and plain(toned[start - 1]) not in stops:
                start -= 1
            if start < index:
                spans.append((start, index + len(suffix)))
    return list(dict.fromkeys(" ".join(toned[s:e]) for s, e in _merge(spans)))
