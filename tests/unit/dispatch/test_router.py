"""The routing rules (hotline/dispatch/router.py) and the directory's schema (config/units.yaml)."""
import pytest

from hotline.configcheck import check_config
from hotline.core.config import CONFIG_DIR
from hotline.dispatch.directory import UnitsError, parse_units, read_units
from hotline.dispatch.router import mentioned_places, suggest
from hotline.tickets.taxonomy import default_taxonomy

BASE = {
    "units": [{"id": u, "name": n, "kind": k} for u, n, k in (
        ("office", "热线办", "department"), ("housing", "住建委", "department"), ("east", "东区政府", "district"),
        ("river-street", "河畔街道办", "street"), ("sunny-pm", "阳光物业", "property"), ("police", "交管局", "department"))],
    "places": [{"name": "东区", "kind": "district"}, {"name": "河畔街道", "kind": "street", "within": "东区"},
               {"name": "阳光花园", "kind": "estate", "within": "河畔街道", "aliases": ["阳光小区"]}],
    "rules": [{"id": "property", "unit": "housing", "categories": ["物业"]},
              {"id": "noise-east", "unit": "east", "categories": ["噪声/油烟"], "places": ["东区"]},
              {"id": "noise-river", "unit": "river-street", "categories": ["噪声/油烟"], "places": ["河畔街道"]},
              {"id": "property-sunny", "unit": "sunny-pm", "categories": ["物业"], "places": ["阳光花园"], "priority": 10},
              {"id": "lights", "unit": "police", "categories": ["交通/出租车"], "keywords": ["红绿灯"]}],
    "default_unit": "office",
}


def config(**changes):
    return parse_units({**BASE, **changes}, default_taxonomy().category_names)


def test_priority_wins_then_the_most_specific_place_then_file_order():
    c = config()
    assert suggest(c, "物业", ["阳光小区的电梯坏了"]).to_dict() == {
        "unit": "sunny-pm", "unit_name": "阳光物业", "rule": "property-sunny", "place": "阳光花园"}
    assert suggest(c, "物业", ["幸福里的电梯坏了"]).rule == "property"        # elsewhere: the category rule
    # the 小区 lies in 河畔街道 in 东区: both noise rules match, the street is more specific
    assert suggest(c, "噪声/油烟", ["阳光花园楼下烧烤"]).unit == "river-street"
    assert suggest(c, "噪声/油烟", ["东区某路施工"]).unit == "east"
    raised = config(rules=[{**BASE["rules"][1], "priority": 1}, *BASE["rules"][2:]])
    assert suggest(raised, "噪声/油烟", ["阳光花园楼下烧烤"]).unit == "east"   # priority before specificity
    twins = config(rules=[{"id": "a", "unit": "east", "categories": ["物业"]},
                          {"id": "b", "unit": "housing", "categories": ["物业"]}])
    assert suggest(twins, "物业", ["x"]).rule == "a"                          # a tie: the first in the file


def test_keywords_and_the_default():
    c = config()
    assert suggest(c, "交通/出租车", ["路口红绿灯坏了"]).unit == "police"
    fallback = suggest(c, "交通/出租车", ["出租车绕路"])
    assert (fallback.unit, fallback.rule, fallback.place) == ("office", "default", "")
    assert suggest(c, "其他", [""]).unit == "office"
    assert mentioned_places(c, ["住在阳光小区", None, ""]) == ["阳光花园"]


@pytest.mark.parametrize("change, message", [
    ({"default_unit": "nobody"}, "default_unit 'nobody' is not a unit id"),
    ({"rules": [{"id": "x", "unit": "nobody"}]}, "rule 'x': unit 'nobody' is not a unit id"),
    ({"rules": [{"id": "x", "unit": "east", "places": ["西区"]}]}, "places ['西区'] are not in places"),
    ({"rules": [{"id": "x", "unit": "east", "categories": ["天气"]}]}, "unknown categories ['天气']"),
    ({"rules": [{"id": "x", "unit": "east", "colour": "red"}]}, "Extra inputs are not permitted"),
    ({"units": BASE["units"] + [BASE["units"][0]]}, "duplicate unit ids: ['office']"),
    ({"places": [{"name": "东区", "kind": "district", "within": "北区"}]}, "within '北区' is not a place"),
    ({"rules": [{"id": "x", "unit": "east", "keywords": ["red"]}]}, "keywords are 1-12 汉字"),
])
def test_a_bad_directory_is_refused_with_the_reason(change, message):
    with pytest.raises(UnitsError, match="units is invalid") as exc:
        config(**change)
    assert message in str(exc.value)


def test_the_shipped_directory_and_config_check(tmp_path):
    shipped = read_units(CONFIG_DIR / "units.yaml", default_taxonomy().category_names)
    assert {u.kind for u in shipped.units} == {"department", "utility", "district", "street", "property"}
    assert suggest(shipped, "旅游/民宿/景区", ["开放时间早上九点至下午五点"]).unit == "city-tourism"
    assert shipped.district_of("阳光花园") == "和平区"
    for f in CONFIG_DIR.glob("*.y*ml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "hotline.toml").write_text("", encoding="utf-8")
    units = (tmp_path / "units.yaml").read_text(encoding="utf-8")
    (tmp_path / "units.yaml").write_text(units.replace("categories: [教育]", "categories: [教育局]"), encoding="utf-8")
    problems = [str(p) for p in check_config(tmp_path)]
    assert any(p.startswith("units.yaml:rules.") and "unknown categories ['教育局']" in p for p in problems), problems
