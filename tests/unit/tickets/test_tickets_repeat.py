"""Repeat links: same caller, or same category + overlapping place, within 30 days."""
from __future__ import annotations

from hotline.tickets.model import REPEAT_LABEL
from hotline.tickets.repeat import WINDOW_SECONDS, links, places_overlap

NOW = 1_800_000_000.0


def ticket(id_, caller="13800000000", category="供暖", hints=("阳光花园小区",), age_days=0.0):
    return {"id": id_, "caller": caller, "category": category, "location_hints": list(hints),
            "created_at": NOW - age_days * 86400}


def test_places_overlap_across_hanzi_and_pinyin():
    assert places_overlap(["阳光花园"], ["阳光花园小区3号楼"])
    assert places_overlap(["yáng guāng huā yuán xiǎo qū"], ["阳光花园小区"])
    assert not places_overlap(["人民路"], ["解放路"])
    assert not places_overlap(["路"], ["人民路"])  # one syllable is not a place


def test_same_caller_and_same_issue_within_window():
    new = ticket("T3", caller="13911112222")
    others = [ticket("T1", age_days=3), ticket("T2", caller="13911112222", category="物业", hints=(), age_days=10),
              ticket("T0", caller="13911112222", age_days=31)]
    repeat = links(new, others, others, "其他")
    assert repeat.same_caller_ticket_ids == ["T2"]
    assert repeat.same_issue_ticket_ids == ["T1"]
    assert repeat.label == REPEAT_LABEL


def test_no_links_for_self_other_places_fallback_or_anonymous():
    new = ticket("T9", caller="")
    assert links(new, [new], [new], "其他").label is None
    other_place = [ticket("T1", hints=("锦绣家园",))]
    assert links(ticket("T9", caller="1"), other_place, other_place, "其他").same_issue_ticket_ids == []
    vague = ticket("T9", category="其他")
    assert links(vague, [], [ticket("T1", category="其他")], "其他").same_issue_ticket_ids == []
    assert links(ticket("T9", caller=""), [ticket("T1", caller="")], [], "其他").same_caller_ticket_ids == []


def test_window_boundary():
    old = ticket("T1", caller="x", age_days=WINDOW_SECONDS / 86400 + 0.01)
    assert links(ticket("T2", caller="x"), [old], [old], "其他").label is None
