"""Two passes, one ticket: the classification follows the 汉字 text once it is there, keyword hits must agree
with it (排烟 ← "派演"), agent edits survive, and the suggested summary is only a suggestion."""
from __future__ import annotations

import time

from hotline.tickets import service
from hotline.tickets.model import Ticket, Transcript
from hotline.tickets.passes import agrees, evidence
from hotline.tickets.summary import suggest, when_phrase

# what the two passes really produced for the model's test_wavs/3.wav (文森特卡索…法国性格派演员)
FAST_3 = {"text": "", "pinyin": "wén sēn tè kǎ suǒ shì quán qiú zhī míng de fǎ guó xìng gé pài yǎn yuán",
          "keywords": [{"word": "法国"}, {"word": "排烟"}], "engine": "sherpa-onnx"}
HANZI_3 = {"text": "文森特卡索是全球知名的法国性格派演员", "engine": "whisper"}


def _ticket(line: str = "general") -> Ticket:
    now = time.time()
    return Ticket(id="1", call_id="c1", created_at=now, updated_at=now, line=line)


def test_a_keyword_the_hanzi_text_contradicts_is_dropped():
    ticket = _ticket()
    ticket.transcript = Transcript.from_engine(FAST_3)
    service._apply_classification(ticket)
    assert ticket.category == "噪声/油烟" and "排烟" in ticket.matched  # the fast pass alone: fooled
    ticket.hanzi = Transcript.from_engine(HANZI_3)
    service._apply_classification(ticket)
    assert ticket.category != "噪声/油烟" and "排烟" not in ticket.matched
    assert evidence(ticket) == (HANZI_3["text"], None, ["法国"])


def test_agreement_is_by_characters_or_same_toned_syllables():
    assert agrees("排烟", "楼下饭店的排烟管道正对我家窗户")
    assert not agrees("排烟", "法国性格派演员")  # pài yǎn ≠ pái yān
    assert agrees("路灯", "小区门口的路登坏了")  # a same-tone homophone Whisper wrote differently
    assert not agrees("火", "今天很热")


def test_a_true_hit_the_text_supports_counts_and_the_order_of_passes_does_not_matter():
    fast = {"pinyin": "lóu xià fàn diàn pái yān", "keywords": [{"word": "排烟"}, {"word": "油烟"}]}
    hanzi = {"text": "楼下饭店排烟管道油烟很大，晚上都不敢开窗"}
    first, second = _ticket(), _ticket()
    first.transcript = Transcript.from_engine(fast)
    first.hanzi = Transcript.from_engine(hanzi)
    second.hanzi = Transcript.from_engine(hanzi)
    service._apply_classification(second)
    second.transcript = Transcript.from_engine(fast)
    service._apply_classification(first)
    service._apply_classification(second)
    assert first.category == second.category == "噪声/油烟"
    assert first.suggested_summary == second.suggested_summary and first.suggested_summary


def test_agent_edits_are_never_overwritten_and_summary_is_only_suggested():
    ticket = _ticket("tourism")
    ticket.transcript = Transcript.from_engine({"keywords": [{"word": "门票"}]})
    service._apply_classification(ticket)
    ticket.category, ticket.urgency, ticket.edited = "交通/出租车", "urgent", ["category", "urgency"]
    ticket.hanzi = Transcript.from_engine({"text": "昨天在人民公园景区门票乱收费，我要投诉"})
    service._apply_classification(ticket)
    assert ticket.category == "交通/出租车" and ticket.urgency == "urgent"
    assert ticket.request_type == "投诉" and ticket.summary == ""
    assert ticket.suggested_summary.startswith("来电人投诉（交通/出租车）：昨天在人民公园景区门票乱收费")


def test_silence_gives_no_hits_and_no_suggestion():
    ticket = _ticket()
    ticket.transcript = Transcript.from_engine({"keywords": [{"word": "停水"}], "pinyin": "tíng shuǐ"})
    ticket.hanzi = Transcript.from_engine({"no_speech": True, "text": ""})
    service._apply_classification(ticket)
    assert ticket.matched == [] and ticket.suggested_summary == ""


def test_summary_sentence_has_what_where_when():
    text = "喂你好，阳光花园小区从昨天晚上八点开始停水，到现在还没来"
    sentence = suggest(text, "求助", "供水/排水", ["阳光花园小区"])
    assert sentence.startswith("来电人求助（供水/排水）：阳光花园小区从昨天晚上八点开始停水")
    assert sentence.endswith("。")
    assert suggest("人民路的路灯不亮", "投诉", "市政设施", ["人民路"]) == "来电人投诉（市政设施）：人民路的路灯不亮。"
    assert "地点：滨江花园" in suggest("门口垃圾没人清理", "投诉", "环境卫生", ["滨江花园"])
    assert when_phrase("3月5号下午三点半停的电") == "3月5号下午三点半"
    assert suggest("", "咨询", "其他", []) == ""
    long = "，".join(["我家楼下那个烧烤店每天晚上都很吵"] * 5)
    assert len(suggest(long, "投诉", "噪声/油烟", [])) < 90
