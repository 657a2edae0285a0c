"""Two ASR passes over one recording, one ticket (docs/architecture.md, "ASR passes").

- `fast`: keyword spotting (sherpa-onnx, settings.asr_keyword_engine) → ticket.transcript: toned pinyin
  and keyword hits, the moment the recording ends.
- `hanzi`: what the caller said in 汉字 (Whisper, settings.asr_engine) → ticket.hanzi, a second or
  two later.

Each pass is its own consumer group on the hotline:recordings stream, so each job reaches both; either may
finish first. The ticket's classification is always derived from both, whichever wrote last.
"""
from __future__ import annotations

from dataclasses import dataclass

from hotline.tickets.model import Ticket, Transcript
from hotline.tickets.pinyin import find_sequence, hanzi_syllables


@dataclass(frozen=True)
class Pass:
    name: str
    group: str  # consumer group on hotline:recordings
    field: str  # the Ticket field it writes
    engine_setting: str  # the Settings field naming its engine


PASSES = {
    "fast": Pass("fast", "asr", "transcript", "asr_keyword_engine"),
    "hanzi": Pass("hanzi", "asr-hanzi", "hanzi", "asr_engine"),
}


def heard(transcript: Transcript) -> bool:
    """The pass listened to the recording (it may have found no speech); unavailable/error/pending did not."""
    return transcript.status in ("done", "no_speech")


def agrees(word: str, text: str) -> bool:
    """A keyword hit the 汉字 text supports: written in it, or the same syllables with the same tones (Whisper
    wrote a homophone). 排烟 pái yān is not supported by "…性格派演员" (pài yǎn)."""
    if word in text:
        return True
    needle = hanzi_syllables(word)
    return len(needle) > 1 and bool(find_sequence(list(hanzi_syllables(text)), needle))


def evidence(ticket: Ticket) -> tuple[str, str | None, list[str]]:
    """(汉字 text, pinyin, keyword hits) for the classifier.

    Once the 汉字 pass has heard the recording, its text is the evidence: keyword hits count only where
    the text agrees, and the fast pass's toneless pinyin is no longer matched (it is what turned 派演
    into 排烟). Until then (or when it failed) the fast pass's hits and pinyin are all there is.
    """
    fast, hanzi = ticket.transcript, ticket.hanzi
    hits = list(dict.fromkeys(fast.keyword_words + hanzi.keyword_words))
    if heard(hanzi):
        text = hanzi.text if hanzi.status == "done" else ""
        return text, None, [word for word in hits if agrees(word, text)]
    return fast.text, fast.pinyin, hits
