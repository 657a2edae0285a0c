"""Partner lines (config/partners.yaml) in the line catalogue, the menu's `transfer` action, `hotline config
check` and the rendered Asterisk config: schema, clear errors, lookups."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from hotline.configcheck import check_config
from hotline.core.config import CONFIG_DIR, Settings
from hotline.core.lines import LinesError, UnknownPartner, load_lines, parse_lines
from ivr.menus.store import MenuError, parse_menu
from telephony.pbx.config import render_config

from helpers import shipped_lines

GENERAL = {"name": "general", "label": "综合服务"}
WATER = {"name": "water", "label": "供水", "endpoint": "partner-water", "categories": ["供水/排水"]}


def catalogue(*partners: dict):
    return parse_lines({"queues": [GENERAL], "partners": list(partners)})


def test_shipped_partners_come_with_the_catalogue():
    lines = shipped_lines()
    assert lines.partner_names == ["water", "power", "gas", "heat"]
    water = lines.partner("water")
    assert (water.label, water.dial_string, water.ring_timeout_seconds, water.is_open()) == \
        ("供水", "PJSIP/partner-water", 20, True)      # no hours: 7×24
    assert lines.pbx_partners()[1] == {"name": "power", "label": "供电", "endpoint": "partner-power",
                                       "dial": "PJSIP/partner-power", "index": 2, "code": "7102",
                                       "ring_timeout_seconds": 20}
    assert [p.name for p in lines.partners_for_category("燃气")][:1] == ["gas"]
    with pytest.raises(UnknownPartner, match="unknown partner 'sewer'"):
        lines.partner("sewer")


@pytest.mark.parametrize("partner, needle", [
    ({**WATER, "dial": "PJSIP/95598@trunk"}, "exactly one of endpoint"),
    ({"name": "water", "label": "供水"}, "exactly one of endpoint"),
    ({"name": "water", "label": "供水", "dial": "PJSIP/a&PJSIP/b"}, "partners.0.dial"),
    ({"name": "water", "label": "供水", "dial": "PJSIP/95598,30,tT"}, "partners.0.dial"),
    ({**WATER, "endpoint": "agent1"}, "agents' phones"),
    ({**WATER, "name": "general"}, "also line names"),
    ({**WATER, "timezone": "Mars/Olympus"}, "unknown timezone"),
    ({**WATER, "hours": [{"start": "18:00", "end": "08:00"}]}, "must be before end"),
    ({**WATER, "ring_timeout_seconds": 1}, "ring_timeout_seconds"),
    ({**WATER, "webhook": {"urls": ["ftp://x"]}}, "http:// or https://"),
    ({**WATER, "phone": "1"}, "Extra inputs"),
])
def test_bad_partner_is_refused_naming_the_field(partner, needle):
    with pytest.raises(LinesError, match=needle.replace("(", r"\(")):
        catalogue(partner)


def test_duplicate_partners_are_refused():
    with pytest.raises(LinesError, match="duplicate name"):
        catalogue(WATER, WATER)


def test_hours_in_the_partners_timezone():
    lines = catalogue({**WATER, "hours": [{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "18:00"}]})
    water = lines.partner("water")
    monday_9_beijing = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)     # 09:00 Asia/Shanghai
    assert water.is_open(monday_9_beijing)
    assert not water.is_open(monday_9_beijing + dt.timedelta(hours=10))      # 19:00
    assert not water.is_open(monday_9_beijing + dt.timedelta(days=5))        # Saturday


def test_partners_file_next_to_queues_yaml(tmp_path):
    shutil.copy(CONFIG_DIR / "queues.yaml", tmp_path / "queues.yaml")
    assert load_lines(tmp_path / "queues.yaml").partners == []       # no partners.yaml: no partners
    (tmp_path / "partners.yaml").write_text("partners:\n  - {name: water, label: 供水}\n", encoding="utf-8")
    with pytest.raises(LinesError, match="partners.yaml: partners.0: Value error, give exactly one"):
        load_lines(tmp_path / "queues.yaml")


def test_menu_transfer_action_is_checked_against_the_partners():
    menu = {"menus": {"main": {"prompt": "welcome", "keys": {"8": {"action": "transfer", "partner": "sewer"}},
                               "on_timeout": {"action": "queue", "queue": "general"},
                               "on_invalid": {"action": "queue", "queue": "general"}}}}
    tree = parse_menu(menu, known_queues={"general"})
    action = tree.menus["main"].keys["8"]
    assert (action.queue, action.record, action.prompt) == ("general", True, None)   # back to 综合服务, recorded
    with pytest.raises(MenuError, match=r"unknown partners \['sewer'\]"):
        parse_menu(menu, known_queues={"general"}, known_partners={"water"})
    with pytest.raises(MenuError, match="unknown queues"):
        parse_menu({**menu, "menus": {"main": {**menu["menus"]["main"], "keys": {
            "8": {"action": "transfer", "partner": "water", "queue": "utilities"}}}}}, known_queues={"general"})


def test_config_check_names_partner_problems(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    assert check_config(folder) == []
    menus = folder / "menus.yaml"
    menus.write_text(menus.read_text(encoding="utf-8").replace("partner: heat", "partner: sewer"), encoding="utf-8")
    partners = folder / "partners.yaml"
    partners.write_text(partners.read_text(encoding="utf-8").replace("[供暖]", "[暖气]"), encoding="utf-8")
    assert [str(p) for p in check_config(folder)] == [
        "menus.yaml:menus.partners.keys.4.partner: partner 'sewer' does not exist in partners.yaml "
        "(gas, heat, power, water)",
        "partners.yaml:partners.3.categories.0: '暖气' is not a category of taxonomy.yaml"]


def test_rendered_pbx_has_the_partner_phones_and_transfer_contexts(tmp_path):
    settings = Settings(pbx_root=tmp_path, partner_phone_base_port=6200)
    lines = shipped_lines()
    rendered = render_config(settings, CONFIG_DIR / "asterisk", lines.pbx_queues(), lines.pbx_partners())
    assert "contact = sip:partner-gas@127.0.0.1:6203" in rendered["pjsip.conf"]
    dialplan = rendered["extensions.conf"]
    assert "exten => water,1,Set(TIMEOUT(absolute)=0)" in dialplan
    assert "Dial(PJSIP/partner-heat,20)" in dialplan
    assert "exten => 7104,1,Dial(PJSIP/partner-heat,20)" in dialplan
    assert "atxfer => *8" in rendered["features.conf"]
    assert "HOTLINE_TRANSFER_PARTNER" in rendered["manager.conf"]
