"""Classifier on the labelled 12345 utterances (汉字 and the pinyin engine's output) and its building blocks."""
from __future__ import annotations

import pytest
from tickets_evaluation import evaluate, load_utterances

from hotline.tickets.classifier import classify
from hotline.tickets.pinyin import plain, syllables, to_pinyin_text
from hotline.tickets.taxonomy import default_taxonomy

# floors well under the measured figures (bench/classifier_accuracy.py) so rule tweaks have room
FLOORS = {"hanzi": (0.90, 0.80), "pinyin": (0.90, 0.80), "pinyin+hits": (0.90, 0.80)}


@pytest.fixture(scope="module")
def utterances():
    return load_utterances()


def test_labelled_set_covers_every_category_and_type(utterances):
    tax = default_taxonomy()
    assert len(utterances) >= 150
    assert {u["expected"]["category"] for u in utterances} == set(tax.category_names)
    assert {u["expected"]["request_type"] for u in utterances} == set(tax.request_type_names)
    assert all(u["pinyin"] and u["text"] for u in utterances)


@pytest.mark.parametrize("mode", sorted(FLOORS))
def test_accuracy_above_floor(utterances, mode):
    result = evaluate(utterances, mode)
    category_floor, type_floor = FLOORS[mode]
    assert result["category_accuracy"] >= category_floor, result["category"]
    assert result["request_type_accuracy"] >= type_floor, result["request_type"]
    assert result["urgency_accuracy"] >= 0.85


def test_engine_tokens_and_syllables_normalise_alike():
    assert syllables("n ǐ h ǎo w ǒ y ào t óu s ù") == syllables("nǐ hǎo wǒ yào tóu sù")
    assert [plain(s) for s in syllables("n ǚ ér j ū")] == ["nv", "er", "ju"]


def test_pinyin_match_ignores_tones_but_not_syllable_boundaries():
    assert classify(None, "wǒ jiā nuǎn qi bú rè").category == "供暖"  # tones differ (sandhi, ASR)
    # "gōng nuǎn" must not match inside "gōng nuó"... only whole syllables count
    assert classify(None, "gōng nuò nǎn").category == "其他"


def test_single_syllable_keyword_needs_its_tone():
    # 吵 chǎo is a 噪声 cue; 炒 chǎo would match too (same tone) but 朝 cháo must not
    assert "吵" in classify(None, "lóu shàng tài chǎo le").matched
    assert "吵" not in classify(None, "cháo yáng qū").matched


def test_keyword_hits_alone_classify():
    result = classify(None, None, ["燃气泄漏"])
    assert (result.category, result.urgency) == ("燃气", "urgent")


def test_route_prior_decides_when_words_do_not():
    assert classify("我想反映个事情", route="tourism").category == "旅游/民宿/景区"
    assert classify("我想反映个事情", route="general").category == "其他"
    assert classify("小区停水了", route="tourism").category == "供水/排水"


def test_location_hints_from_hanzi_and_pinyin():
    text = "我住在阳光花园小区3号楼，人民路和解放路交叉口也停水了"
    assert classify(text).location_hints[0] == "阳光花园小区3号楼"
    hints = classify(None, to_pinyin_text("我住在阳光花园小区，停水了")).location_hints
    assert hints == ["yáng guāng huā yuán xiǎo qū"]


def test_advice_mentioning_outage_is_not_urgent():
    assert classify("建议停电之前提前通知").urgency == "normal"
    assert classify("我们这里停电了，快来修").urgency == "high"


def test_empty_input_is_fallback_not_error():
    result = classify("", None, [])
    assert (result.category, result.category_confidence, result.location_hints) == ("其他", 0.0, [])


def test_spotting_keywords_are_hanzi_phrases_from_the_taxonomy():
    words = default_taxonomy().spotting_keywords()
    assert {"燃气泄漏", "暖气", "井盖丢失", "营业执照"} <= set(words)
    assert all(len(w) >= 2 for w in words) and len(words) == len(set(words))
