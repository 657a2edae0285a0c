"""Accuracy of the suggested unit on a labelled set (tests/data/dispatch_labelled.yaml): each request is
classified as a ticket would be (hotline.tickets.classifier) and routed (hotline.dispatch.router) with the
same texts a ticket offers; the suggestion is compared with the expected unit. The baseline in the same run
routes by category alone (the rules that name neither places nor keywords)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from hotline.core.config import PROJECT_DIR
from hotline.dispatch.directory import UnitsConfig, load_units
from hotline.dispatch.router import Suggestion, suggest
from hotline.tickets.classifier import classify

LABELLED = PROJECT_DIR / "tests" / "data" / "dispatch_labelled.yaml"


@dataclass(frozen=True)
class Outcome:
    text: str
    expected: str
    got: str
    rule: str
    category: str


def load_labelled(path: Path | str = LABELLED) -> list[dict]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def category_only(config: UnitsConfig) -> UnitsConfig:
    """The baseline: only the rules that route a whole category, whatever the place or words."""
    rules = [r for r in config.rules if not r.places and not r.keywords]
    return config.model_copy(update={"rules": rules})


def route(config: UnitsConfig, text: str, line: str = "general") -> tuple[Suggestion, str]:
    """(suggestion, category) for a caller's words, as a ticket's suggestion would be made."""
    result = classify(text, None, [], line)
    return suggest(config, result.category, [text, *result.location_hints, " ".join(result.matched)]), result.category


def evaluate(items: list[dict], config: UnitsConfig) -> list[Outcome]:
    outcomes = []
    for item in items:
        found, category = route(config, item["text"], item.get("line", "general"))
        outcomes.append(Outcome(item["text"], item["unit"], found.unit, found.rule, category))
    return outcomes


def report(path: Path | str = LABELLED, units_file: Path | str | None = None) -> tuple[str, float]:
    """The printable report and the accuracy of the full rules."""
    items, config = load_labelled(path), load_units(units_file)
    full, base = evaluate(items, config), evaluate(items, category_only(config))
    n = len(items)
    accuracy = sum(o.got == o.expected for o in full) / n
    covered = Counter(i["unit"] for i in items)
    lines = [f"labelled requests: {n}, units covered: {len(covered)}/{len(config.units)}",
             f"suggested unit = expected: {accuracy:.1%} ({sum(o.got == o.expected for o in full)}/{n})",
             f"baseline, category rules only: {sum(o.got == o.expected for o in base) / n:.1%}"]
    missing = sorted(config.unit_ids - set(covered))
    if missing:
        lines.append(f"units without a labelled request: {missing}")
    for o in full:
        if o.got != o.expected:
            lines.append(f"  miss: {o.text}  → {o.got} (rule {o.rule}, category {o.category}); expected {o.expected}")
    return "\n".join(lines), accuracy
