"""Reference transcripts of the sherpa-onnx model's test_wavs/0-6.wav (real 16 kHz Mandarin).

0-2 are WenetSpeech DEV_T0000000000-2: the transcripts printed in the k2-fsa/sherpa docs
(icefall pruned_transducer_stateless2 wenetspeech, greedy search, a much larger model). 3-6 are the
contextual-biasing examples of the sherpa-onnx hotwords docs (same total length, 20.33 s); the names
follow the model's own test_wavs/test_keywords.txt (周望军, 朱丽楠, 蒋友伯, 文森特卡索). These are
published model outputs, not human labels, and nobody here listened to the audio: they are the best
reference available offline. Only pinyin is scored (pypinyin readings; one polyphone fixed below).
"""
from __future__ import annotations

from pathlib import Path

from asr.pinyin import hanzi_to_pinyin

REFERENCE_HANZI = {
    "0.wav": "对我做了介绍那么我想说的是呢大家如果对我的研究感兴趣呢",
    "1.wav": "重点想谈三个问题首先呢就是这一轮全球金融动荡的表现",
    "2.wav": "深入地分析这一次全球金融动荡背后的根源",
    "3.wav": "文森特卡索是全球知名的法国性格派演员",
    "4.wav": "蒋友伯被拍到带着女儿出游",
    "5.wav": "周望军就落实控物价",
    "6.wav": "朱丽楠在上市见面会上表示",
}
# keywords (test_keywords.txt) and the file each one is spoken in
KEYWORD_FILES = {
    "文森特卡索": "3.wav", "法国": "3.wav", "蒋友伯": "4.wav", "女儿": "4.wav",
    "周望军": "5.wav", "落实": "5.wav", "朱丽楠": "6.wav", "见面会": "6.wav",
}
# pypinyin's reading differs from the spoken one here
_READING_FIXES = {"2.wav": ("shēn rù dì", "shēn rù de")}


def reference_pinyin(name: str) -> str:
    text = hanzi_to_pinyin(REFERENCE_HANZI[name])
    wrong, right = _READING_FIXES.get(name, ("", ""))
    return text.replace(wrong, right) if wrong else text


def test_wavs(model_dir: Path) -> list[Path]:
    return [model_dir / "test_wavs" / name for name in REFERENCE_HANZI]
