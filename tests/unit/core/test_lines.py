"""The line catalogue: schema, clear errors, lookups; the strict settings file beside it."""
from __future__ import annotations

import pytest

from hotline.core.config import Settings, SettingsFileError
from hotline.core.lines import LinesError, UnknownLine, load_lines, parse_lines

from helpers import shipped_lines


def test_shipped_catalogue():
    lines = shipped_lines()
    assert lines.names == ["business", "tourism", "general"]
    assert lines.label("tourism") == "文旅服务专线"
    assert lines.by_asterisk_queue("hotline-business").name == "business"
    assert lines.by_asterisk_queue("other-queue") is None
    assert lines.queues_for("agent4") == ["tourism", "general"] and lines.queues_for("agent1") == ["business"]
    assert lines.pbx_queues()[0] == {"name": "business", "label": "企业服务", "asterisk_queue": "hotline-business",
                                     "members": ["agent1"], "max_wait_seconds": 600, "service_level_seconds": 20}


def test_unknown_line_is_an_error_naming_the_lines():
    with pytest.raises(UnknownLine, match="unknown line 'utilities'; the lines are business, tourism, general"):
        shipped_lines().get("utilities")
    assert "utilities" not in shipped_lines()


def test_asterisk_queue_defaults_to_the_prefixed_name():
    lines = parse_lines({"queues": [{"name": "general", "label": "综合服务"}]})
    assert lines.get("general").asterisk_queue == "hotline-general"


@pytest.mark.parametrize("queues, needle", [
    ([{"name": "general", "label": "综合服务", "key": "0"}], "queues.0.key: Extra inputs"),
    ([{"name": "business", "label": "企业服务"}], "a line named 'general' is required"),
    ([{"name": "general", "label": "a"}, {"name": "general", "label": "b"}], "duplicate name"),
    ([{"name": "General Line", "label": "x"}], "queues.0.name"),
    ([{"name": "general", "label": "x", "members": ["agent1"], "login_members": ["agent1"]}], "both"),
    ([{"name": "general", "label": "x", "members": ["PJSIP/agent1"]}], "queues.0.members.0"),
    ([{"name": "general", "label": ""}], "queues.0.label"),
])
def test_bad_catalogue_names_the_field(queues, needle):
    with pytest.raises(LinesError, match=needle):
        parse_lines({"queues": queues}, "queues.yaml")


def test_bad_files(tmp_path):
    with pytest.raises(LinesError, match="cannot read"):
        load_lines(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("queues: [unclosed")
    with pytest.raises(LinesError, match="not valid YAML"):
        load_lines(tmp_path / "bad.yaml")


def test_settings_files_follow_the_config_dir(tmp_path):
    (tmp_path / "hotline.toml").write_text("agent_count = 7\n")
    settings = Settings(config_dir=tmp_path)
    assert settings.agent_count == 7 and settings.queues_file == tmp_path / "queues.yaml"
    assert settings.asterisk_template_dir == tmp_path / "asterisk"


def test_toml_rejects_unknown_keys(tmp_path):
    (tmp_path / "hotline.toml").write_text("agent_count = 4\nring_secnds = 1.0\n")
    with pytest.raises(SettingsFileError, match="unknown setting.*ring_secnds") as err:
        Settings(config_dir=tmp_path)
    assert err.value.keys == ["ring_secnds"]
