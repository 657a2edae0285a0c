"""The taxonomy file is validated at load with messages that point at the offending entry."""
from __future__ import annotations

import pytest
import yaml

from hotline.core.config import CONFIG_DIR
from hotline.core.lines import load_lines
from hotline.tickets.taxonomy import DEFAULT_PATH, TaxonomyError, load_taxonomy

LINES = load_lines(CONFIG_DIR / "queues.yaml")


def _write(tmp_path, mutate) -> str:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_taxonomy_loads():
    tax = load_taxonomy()
    assert len(tax.categories) >= 17 and LINES.label("business") == "企业服务"   # labels: the line catalogue


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["categories"][0]["keywords"].update({"no heat": 1}), "categories.0.keywords"),
    (lambda d: d["categories"][0]["keywords"].update({"暖": -1}), "weights must be > 0"),
    (lambda d: d.update(fallback_category="不存在"), "fallback_category"),
    (lambda d: d["categories"].append(dict(d["categories"][0])), "duplicate category"),
    (lambda d: d["line_priors"]["tourism"].update({"旅游": 1}), "unknown categories"),
    (lambda d: d["line_priors"].update(fax={}), "unknown line"),
    (lambda d: d["request_types"].update(default="抱怨"), "request_types.default"),
    (lambda d: d["urgency"]["levels"][1].update(only_for_types=["抱怨"]), "only_for_types"),
    (lambda d: d["location"]["pinyin_suffixes"].append("岛"), "pinyin_suffixes"),
    (lambda d: d.update(colour="red"), "colour"),
])
def test_invalid_taxonomy_names_the_problem(tmp_path, mutate, message):
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(_write(tmp_path, mutate), lines=LINES.names)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(bad)
    bad.write_text("- a list", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="mapping"):
        load_taxonomy(bad)
