"""Which unit a ticket goes to: the routing rules of config/units.yaml applied to its category and places.

Pure: a UnitsConfig, a category and the ticket's texts (address, location hints, transcript) in, a
Suggestion out. A rule matches when its categories include the ticket's (or it names none), one of its
places encloses a place the ticket mentions (or it names none) and one of its keywords was said (or it
names none). The winner has the highest priority, then the most specific place (小区 > street >
district > anywhere), then comes first in the file; no match → the default unit (docs/decisions.md, "Dispatch rules").
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from hotline.dispatch.directory import SPECIFICITY, Rule, UnitsConfig

DEFAULT_RULE = "default"


@dataclass(frozen=True)
class Suggestion:
    unit: str            # unit id
    unit_name: str
    rule: str            # the rule's id, or "default"
    place: str = ""      # the gazetteer place the rule matched on ("" when the rule names none)

    def to_dict(self) -> dict:
        return asdict(self)


def mentioned_places(config: UnitsConfig, texts: list[str]) -> list[str]:
    """Gazetteer places (by name or alias) that occur in any of the texts, most specific first."""
    found = [p for p in config.places if any(n in t for t in texts if t for n in (p.name, *p.aliases))]
    return [p.name for p in sorted(found, key=lambda p: -SPECIFICITY[p.kind])]


def _place_match(config: UnitsConfig, rule: Rule, mentioned: list[str]) -> tuple[int, str] | None:
    """(specificity, place) of the rule's most specific place that encloses a mentioned one; (0, "") for a
    rule without places; None when it names places and none fits."""
    if not rule.places:
        return 0, ""
    best: tuple[int, str] | None = None
    for name in mentioned:
        for place in config.enclosing(name):
            if place.name in rule.places and (best is None or SPECIFICITY[place.kind] > best[0]):
                best = (SPECIFICITY[place.kind], place.name)
    return best


def suggest(config: UnitsConfig, category: str, texts: list[str]) -> Suggestion:
    mentioned = mentioned_places(config, texts)
    best: tuple[tuple[int, int, int], Rule, str] | None = None
    for index, rule in enumerate(config.rules):
        if rule.categories and category not in rule.categories:
            continue
        if rule.keywords and not any(w in t for t in texts if t for w in rule.keywords):
            continue
        match = _place_match(config, rule, mentioned)
        if match is None:
            continue
        rank = (rule.priority, match[0], -index)
        if best is None or rank > best[0]:
            best = (rank, rule, match[1])
    if best is None:
        unit = config.unit(config.default_unit)
        return Suggestion(config.default_unit, unit.name if unit else config.default_unit, DEFAULT_RULE)
    _, rule, place = best
    unit = config.unit(rule.unit)
    return Suggestion(rule.unit, unit.name if unit else rule.unit, rule.id, place)
