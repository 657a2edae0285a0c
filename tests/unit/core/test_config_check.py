"""`hotline config check` on temporary config dirs: one kind of problem per test, named `file:field: reason`."""
from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.configcheck import check_config
from hotline.core.config import CONFIG_DIR


@pytest.fixture
def config_dir(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    return folder


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(folder) -> list[str]:
    return [str(p) for p in check_config(folder)]


def test_shipped_config_is_consistent():
    assert problems(CONFIG_DIR) == []


def test_menu_naming_a_line_that_does_not_exist(config_dir):
    edit(config_dir / "menus.yaml", "queue: tourism, record: true}", "queue: utilities, record: true}")
    assert problems(config_dir) == ["menus.yaml:menus.main.keys.9.queue: line 'utilities' does not exist in "
                                    "queues.yaml (business, tourism, general)"]


def test_menu_naming_a_prompt_that_does_not_exist(config_dir):
    edit(config_dir / "menus.yaml", "invalid_prompt: input-error", "invalid_prompt: input-eror")
    assert problems(config_dir) == ["menus.yaml:menus.main.invalid_prompt: prompt 'input-eror' does not exist "
                                    "(prompts.yaml)"]


def test_misspelled_toml_key_is_named(config_dir):
    edit(config_dir / "hotline.toml", "ring_seconds = 1.0", "ring_secnds = 1.0")
    assert problems(config_dir) == ["hotline.toml:ring_secnds: unknown setting (a typo? see hotline/core/config.py "
                                    "for the settings)"]


def test_bad_toml_value(config_dir):
    edit(config_dir / "hotline.toml", "ring_seconds = 1.0", "ring_seconds = 9.0")
    [problem] = problems(config_dir)
    assert problem.startswith("hotline.toml:ring_seconds: ") and "2" in problem


def test_line_member_without_a_phone_or_a_user(config_dir):
    edit(config_dir / "queues.yaml", "members: [agent3]", "members: [agent9]")
    edit(config_dir / "hotline.toml", "agent_count = 4", "agent_count = 5")
    edit(config_dir / "queues.yaml", "members: [agent1]", "members: [agent5]")
    assert problems(config_dir) == [
        "queues.yaml:queues.0.members.0: no user in users.yaml has endpoint 'agent5'",
        "queues.yaml:queues.2.members.0: 'agent9' is not a phone of this PBX (agent_count)"]


def test_catalogue_schema_errors(config_dir):
    edit(config_dir / "queues.yaml", "name: general", "name: generic")
    assert "queues.yaml:(top): a line named 'general' is required: the dialplan falls back to it" in \
        problems(config_dir)
    edit(config_dir / "queues.yaml", "    label: 企业服务\n", "    label: 企业服务\n    key: \"1\"\n")
    assert "queues.yaml:queues.0.key: Extra inputs are not permitted" in problems(config_dir)


def test_user_endpoint_beyond_agent_count(config_dir):
    edit(config_dir / "hotline.toml", "agent_count = 4", "agent_count = 3")
    found = problems(config_dir)
    assert "users.yaml:users.3.endpoint: 'agent4' is not a phone of this PBX (agent1..agent3; agent_count)" in found


def test_users_may_no_longer_list_queues(config_dir):
    edit(config_dir / "users.yaml", "    endpoint: agent1\n", "    endpoint: agent1\n    queues: [business]\n")
    [problem] = problems(config_dir)
    assert problem.startswith("users.yaml:users.0: 'queues' moved to config/queues.yaml")


def test_overflow_rules_name_lines(config_dir):
    edit(config_dir / "overflow.yaml", "      queue: general", "      queue: generl")
    edit(config_dir / "overflow.yaml", "  business: {}", "  busines: {}")
    assert problems(config_dir) == [
        "overflow.yaml:queues.busines: is not a line of queues.yaml (business, tourism, general)",
        "overflow.yaml:queues.tourism.overflow.queue: 'generl' is not a line of queues.yaml "
        "(business, tourism, general)"]


def test_taxonomy_priors_name_lines_and_categories(config_dir):
    edit(config_dir / "taxonomy.yaml", "  tourism: {旅游/民宿/景区", "  tourist: {旅游/民宿/景区")
    assert problems(config_dir) == ["taxonomy.yaml:line_priors.tourist: is not a line of queues.yaml "
                                    "(business, tourism, general)"]
    edit(config_dir / "taxonomy.yaml", "  tourist: {旅游/民宿/景区", "  tourism: {旅游/民宿")
    [problem] = problems(config_dir)
    assert problem.startswith("taxonomy.yaml:(top): line_priors.tourism names unknown categories")


def test_prompts_schema(config_dir):
    edit(config_dir / "prompts.yaml", "goodbye:", "Good bye:")
    assert problems(config_dir) == ["prompts.yaml:Good bye.[key]: String should match pattern "
                                    "'^[a-z0-9][a-z0-9_-]{0,63}$'"]


def test_unreadable_and_invalid_yaml(config_dir):
    (config_dir / "overflow.yaml").write_text("queues: [unclosed", encoding="utf-8")
    (config_dir / "users.yaml").unlink()
    found = problems(config_dir)
    assert found[0].startswith("users.yaml:(file): cannot read") or found[1].startswith("users.yaml:(file)")
    assert any(p.startswith("overflow.yaml:(file): not valid YAML") for p in found)


def test_command_exit_status_and_output(config_dir):
    runner = CliRunner()
    ok = runner.invoke(app, ["config", "check", "--dir", str(config_dir)])
    assert ok.exit_code == 0 and "consistent" in ok.output
    edit(config_dir / "menus.yaml", "queue: business, record: true}", "queue: nowhere, record: true}")
    bad = runner.invoke(app, ["config", "check", "--dir", str(config_dir)])
    assert bad.exit_code == 1 and "menus.yaml:menus.main.keys.1.queue: line 'nowhere' does not exist" in bad.output


def test_up_refuses_to_start_on_a_problem(config_dir, monkeypatch):
    edit(config_dir / "hotline.toml", "agent_count = 4", "agent_cont = 4")
    monkeypatch.setenv("HOTLINE_CONFIG_DIR", str(config_dir))
    result = CliRunner().invoke(app, ["up"])
    assert result.exit_code == 1
    assert "hotline.toml:agent_cont: unknown setting" in result.output and "configuration has problems" in result.output
