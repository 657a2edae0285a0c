"""汉字 text helpers shared by the character engines (Whisper, Vosk): simplified characters, keywords
found in the text, and the repetition check that rejects a decoder stuck in a loop."""
from __future__ import annotations

import re
from functools import lru_cache

from asr.base import KeywordHit, Token
from asr.pinyin import hanzi_to_pinyin

# punctuation and spaces do not count when judging how much of a text is repetition
_NOT_CONTENT = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20!-/:-@\[-`{-~…—·]+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # PyPI `opencc`: the OpenCC project's own binding (C++ core, dictionaries in the wheel)

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters (OpenCC t2s: phrase-aware, 頭髮 → 头发); other text unchanged."""
    return _t2s().convert(text) if text else text


def strip_punctuation(text: str) -> str:
    return _NOT_CONTENT.sub("", text)


def repetition_share(text: str, max_unit: int = 10) -> float:
    """The largest share of `text` (punctuation ignored) covered by back-to-back copies of one unit of
    1..max_unit characters that occurs at least three times in a row: 0.0 for ordinary speech."""
    content = _NOT_CONTENT.sub("", text)
    if not content:
        return 0.0
    best = 0
    for size in range(1, max_unit + 1):
        start = 0
        while start + size * 3 <= len(content):
            unit, copies = content[start:start + size], 1
            while content[start + copies * size:start + (copies + 1) * size] == unit:
                copies += 1
            if copies >= 3:
                best = max(best, copies * size)
                start += copies * size
            else:
                start += 1
    return best / len(content)


def is_mostly_repetition(text: str, threshold: float = 0.5, min_chars: int = 6) -> bool:
    """Whisper's failure mode on noise or a long pause is a loop ("谢谢谢谢谢谢…", "我要投诉我要投诉…"):
    such output is not what the caller said. Short texts are never judged ("好好好" can be real)."""
    content = _NOT_CONTENT.sub("", text)
    return len(content) >= min_chars and repetition_share(content) > threshold


def find_keywords(tokens: list[Token], keywords: list[str]) -> list[KeywordHit]:
    """Keywords found in the recognised text, each hit timed by the word it starts in."""
    text, owner = "", []  # owner[i]: index of the token that character i of text came from
    for index, token in enumerate(tokens):
        text += token.text
        owner += [index] * len(token.text)
    hits = []
    for word in keywords:
        for match in re.finditer(re.escape(word), text):
            hits.append(KeywordHit(word, hanzi_to_pinyin(word), tokens[owner[match.start()]].start))
    return sorted(hits, key=lambda hit: hit.start)
