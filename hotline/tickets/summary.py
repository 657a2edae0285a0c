"""A suggested 诉求摘要: one sentence (what / where / when) from the 汉字 transcript and the ticket's fields.

Only a suggestion: it is stored as ticket.suggested_summary and becomes the summary when the agent accepts or
edits it in the console. Nothing here ever writes ticket.summary.
"""
from __future__ import annotations

import re

_CN_NUM = "零一二两三四五六七八九十百0-9"
# time expressions callers use; the first (longest at that place) one found is the "when"
_WHEN = re.compile(
    rf"(?:(?:[{_CN_NUM}]+月)?[{_CN_NUM}]+[日号]|今天|昨天|前天|大前天|今晚|昨晚|今早|"
    rf"这几天|这两天|最近|上周[一二三四五六日天]?|本周|上个月|这个月|每天|天天|"
    rf"凌晨|早上|上午|中午|下午|傍晚|晚上|半夜|夜里)"
    rf"(?:[{_CN_NUM}]+点(?:半|[{_CN_NUM}]+分)?)?"
    rf"|[{_CN_NUM}]+点(?:半|[{_CN_NUM}]+分)?(?:左右)?"
)
_CLAUSE = re.compile(r"[，。！？；,.!?;]")
_FILLERS = re.compile(r"^(?:喂|你好|您好|那个|就是|嗯|啊|哎|我想|我要)+[，,]?")
GIST_MAX = 60


def when_phrase(text: str) -> str:
    """The first time expression in the text ("昨天晚上", "3月5号", "最近"), or ''."""
    first = _WHEN.search(text)
    if first is None:
        return ""
    # adjacent expressions read as one: 昨天晚上十点
    phrase, end = first.group(0), first.end()
    while (follow := _WHEN.match(text, end)) is not None:
        phrase, end = phrase + follow.group(0), follow.end()
    return phrase


def gist(text: str) -> str:
    """The caller's words without greetings, cut at a clause boundary near GIST_MAX characters."""
    text = _FILLERS.sub("", text.strip())
    if len(text) <= GIST_MAX:
        return text.rstrip("，,。.!！?？")
    cut = max((m.start() for m in _CLAUSE.finditer(text, 0, GIST_MAX)), default=GIST_MAX)
    return text[:cut] + "…"


def suggest(text: str, request_type: str, category: str, location_hints: list[str]) -> str:
    """'来电人投诉（旅游/民宿/景区）：景区门票乱收费，地点：XX景区，时间：昨天。' — '' without a transcript."""
    words = gist(text)
    if not words:
        return ""
    who = f"来电人{request_type or '反映'}" + (f"（{category}）" if category else "")
    parts = [f"{who}：{words}"]
    where = next((place for place in location_hints if place and " " not in place), "")
    if where and where not in words:
        parts.append(f"地点：{where}")
    when = when_phrase(text)
    if when and when not in words:
        parts.append(f"时间：{when}")
    return "，".join(parts) + "。"
