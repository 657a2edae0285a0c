"""Draft-ticket classifier: category, 诉求类型, urgency and location hints from a caller's words.

Pure and rule-driven: every rule lives in config/taxonomy.yaml. Input may be 汉字 text, the toned
pinyin a pinyin-only ASR engine emits, the 汉字 keywords its spotter reported, or any mix.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from hotline.tickets import locations
from hotline.tickets.pinyin import find_sequence, hanzi_syllables, plain, syllables
from hotline.tickets.taxonomy import Taxonomy, default_taxonomy

# a top score this high (or more) means the classifier is as sure as rules can be
_CONFIDENT_SCORE = 6.0


@dataclass(frozen=True)
class Classification:
    category: str
    category_confidence: float
    request_type: str
    urgency: str
    location_hints: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Evidence:
    """The caller's words in every form we can match against."""
    text: str
    hits: frozenset[str]
    toned: list[str]
    plain: list[str]

    @property
    def empty(self) -> bool:
        return not (self.text or self.hits or self.toned)

    def has(self, phrase: str) -> bool:
        if phrase in self.hits or (self.text and phrase in self.text):
            return True
        if not self.toned:
            return False
        needle = hanzi_syllables(phrase)
        if len(needle) == 1:  # one syllable without its tone is too ambiguous (火 huǒ vs 或 huò)
            return bool(find_sequence(self.toned, needle))
        return bool(find_sequence(self.plain, tuple(plain(s) for s in needle)))


def _score(evidence: _Evidence, weighted: dict[str, float]) -> tuple[float, list[str]]:
    if evidence.empty:   # a draft before any words (every call's first ticket): only the line's priors count
        return 0.0, []
    found = [word for word in weighted if evidence.has(word)]
    return sum(weighted[w] for w in found), found


def _category(tax: Taxonomy, evidence: _Evidence, route: str | None) -> tuple[str, float, list[str]]:
    prior = tax.line_priors.get(route or "", {})
    scores: dict[str, float] = {}
    found_by: dict[str, list[str]] = {}
    for category in tax.categories:
        if category.name == tax.fallback_category:
            continue
        score, found = _score(evidence, category.keywords)
        scores[category.name] = score + prior.get(category.name, 0.0)
        found_by[category.name] = found
    best = max(scores, key=lambda name: scores[name])  # ties: first in taxonomy order
    top = scores[best]
    if top < tax.min_category_score:
        return tax.fallback_category, 0.0, []
    total = sum(s for s in scores.values() if s > 0)
    confidence = (top / total) * min(1.0, top / _CONFIDENT_SCORE)
    return best, round(confidence, 2), found_by[best]


def _request_type(tax: Taxonomy, evidence: _Evidence) -> tuple[str, list[str]]:
    best, best_score, best_found = tax.request_types.default, 0.0, []
    for rtype in tax.request_types.types:
        score, found = _score(evidence, rtype.cues)
        if score > best_score:
            best, best_score, best_found = rtype.name, score, found
    return best, best_found


def _urgency(tax: Taxonomy, evidence: _Evidence, request_type: str) -> tuple[str, list[str]]:
    for level in tax.urgency.levels:
        if level.only_for_types and request_type not in level.only_for_types:
            continue
        found = [] if evidence.empty else [cue for cue in level.cues if evidence.has(cue)]
        if found:
            return level.name, found
    return tax.urgency.default, []


def classify(text: str | None, pinyin: str | None = None, keyword_hits: list[str] | None = None,
             route: str | None = None, taxonomy: Taxonomy | None = None) -> Classification:
    tax = taxonomy or default_taxonomy()
    toned = syllables(pinyin)
    evidence = _Evidence(text=text or "", hits=frozenset(keyword_hits or ()), toned=toned,
                         plain=[plain(s) for s in toned])
    category, confidence, cat_found = _category(tax, evidence, route)
    request_type, type_found = _request_type(tax, evidence)
    urgency, urgency_found = _urgency(tax, evidence, request_type)
    hints = locations.from_text(tax.location, evidence.text) if evidence.text else []
    if not hints and toned:
        hints = locations.from_pinyin(tax.location, toned)
    matched = list(dict.fromkeys(cat_found + type_found + urgency_found))
    return Classification(category, confidence, request_type, urgency, hints, matched)
