from typer.testing import CliRunner

from hotline.auth.cli import app
from hotline.auth.users import load_directory, verify_password

from agents_users import write_users


def test_set_password_changes_only_that_user(tmp_path):
    path = write_users(tmp_path / "users.yaml")
    before = path.read_text()
    result = CliRunner().invoke(app, ["set-password", "agent2", "--file", str(path)],
                                input="new-secret-1\nnew-secret-1\n")
    assert result.exit_code == 0, result.output
    directory = load_directory(path)
    assert verify_password("new-secret-1", directory.get("agent2").password_hash)
    assert verify_password("pw-agent1", directory.get("agent1").password_hash)
    assert len(path.read_text().splitlines()) == len(before.splitlines())


def test_set_password_refuses_unknown_user_and_short_password(tmp_path):
    path = write_users(tmp_path / "users.yaml")
    assert CliRunner().invoke(app, ["set-password", "ghost", "--file", str(path)], input="x" * 9 + "\n" + "x" * 9 + "\n").exit_code != 0
    assert CliRunner().invoke(app, ["set-password", "agent1", "--file", str(path)], input="short\nshort\n").exit_code != 0


def test_list(tmp_path):
    path = write_users(tmp_path / "users.yaml")
    out = CliRunner().invoke(app, ["list", "--file", str(path)]).output
    assert "agent1" in out and "supervisor" in out
