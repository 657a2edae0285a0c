"""`hotline menus` when Redis is down, and for a bad file: a clear error and an exit status, no traceback."""
from typer.testing import CliRunner

from hotline.cli import app


def test_menus_commands_without_redis_say_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("HOTLINE_REDIS_PORT", "1")  # nothing listens there
    result = CliRunner().invoke(app, ["menus", "history"])
    assert result.exit_code == 1 and "hotline redis up" in result.output
    assert "Traceback" not in result.output


def test_invalid_menu_file_is_refused_with_the_reason(tmp_path):
    bad = tmp_path / "menus.yaml"
    bad.write_text("start: main\nmenus: {main: {prompt: welcome, keys: {'12': {action: repeat}}}}\n")
    result = CliRunner().invoke(app, ["menus", "validate", str(bad)])
    assert result.exit_code == 2 and "menu is invalid" in result.output
