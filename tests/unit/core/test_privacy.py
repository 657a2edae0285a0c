"""Least privilege and privacy (issue 10 item 7), the parts without a PBX: masked numbers, private rendered
config, `hotline call` cleaning up after itself, production refusing sandbox defaults."""
import stat

import pytest
import yaml
from typer.testing import CliRunner

from hotline.auth.users import hash_password
from hotline.core.config import CONFIG_DIR, Settings
from hotline.core.logging import mask_number
from telephony.pbx.config import PRIVATE_SUBDIRS, write_config

from helpers import shipped_lines


@pytest.mark.parametrize("number,masked", [
    ("13812345678", "138****5678"), ("+8613812345678", "+86*******5678"), ("0105551234", "01******34"),
    ("12345", "***45"), ("8654321", "*****21"), ("110", "***"), ("1234", "****"), ("alice", "***ce"),
    ("", ""), (None, "")])
def test_mask_number_hides_most_of_every_number(number, masked):
    assert mask_number(number) == masked


@pytest.mark.parametrize("number", ["12345", "95588", "1234567", "10086", "13812345678", "0105551234"])
def test_mask_number_never_shows_more_than_about_half(number):
    shown = sum(ch.isdigit() for ch in mask_number(number))
    assert shown <= max(2, len(number) * 0.64) and shown < len(number)


def test_rendered_config_is_private(tmp_path):
    settings = Settings(instance="unit", pbx_root=tmp_path, ami_secret="s3cret-value")
    etc = write_config(settings, CONFIG_DIR / "asterisk", shipped_lines().pbx_queues(), host_dir=tmp_path / "inst")
    assert "s3cret-value" in (etc / "manager.conf").read_text()
    for path in etc.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for sub in PRIVATE_SUBDIRS:
        assert stat.S_IMODE((tmp_path / "inst" / sub).stat().st_mode) == 0o700, sub


def test_ami_user_has_no_system_config_or_command_class(tmp_path):
    """`originate` is granted (预约回拨 placeholders, 回访 calls: docs/decisions.md); an Originate of an
    application like System still needs `system`, which the user does not have."""
    from telephony.pbx.config import render_config
    manager = render_config(Settings(pbx_root=tmp_path), CONFIG_DIR / "asterisk", shipped_lines().pbx_queues())["manager.conf"]
    classes = {line.split("=", 1)[0].strip(): set(line.split("=", 1)[1].strip().split(","))
               for line in manager.splitlines() if line.startswith(("read ", "write "))}
    assert classes == {"read": {"call", "agent", "agi", "dtmf"}, "write": {"call", "agent", "agi", "reporting", "originate"}}


@pytest.fixture
def users(tmp_path, monkeypatch):
    def write(passwords: dict) -> None:
        entries = [{"username": name, "display_name": name, "role": "admin", "password_hash": hash_password(pw, 1000)}
                   for name, pw in passwords.items()]
        path = tmp_path / "users.yaml"
        path.write_text(yaml.safe_dump({"users": entries}), encoding="utf-8")
        monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return write


def test_production_refuses_sandbox_defaults(users, monkeypatch):
    from hotline.cli import app

    users({"admin": "admin@12345", "boss": "a-real-password"})
    monkeypatch.setenv("HOTLINE_ENV", "production")
    refused = CliRunner().invoke(app, ["up"])
    assert refused.exit_code == 1 and "HOTLINE_AMI_SECRET is the sandbox default" in refused.output
    assert "user admin still has the demo password" in refused.output and "boss" not in refused.output
    assert CliRunner().invoke(app, ["serve"]).exit_code == 1


def test_production_with_real_secrets_and_sandbox_with_defaults_pass_the_check(users, monkeypatch):
    from hotline.production import refuse_sandbox_defaults, sandbox_defaults

    users({"admin": "admin@12345"})
    refuse_sandbox_defaults(Settings())  # sandbox: defaults are fine
    users({"admin": "a-real-password"})
    real = {"env": "production", "ami_secret": "long-random", "followup_dial": "PJSIP/{number}@city-trunk"}
    assert sandbox_defaults(Settings(**real)) == []
    refuse_sandbox_defaults(Settings(**real))
    # the 回访 must not ring the sandbox's SIPp phone, nor run on the test clock
    problems = sandbox_defaults(Settings(**{**real, "followup_dial": Settings().followup_dial, "followup_clock": "12:00"}))
    assert [p.split()[0] for p in problems] == ["HOTLINE_FOLLOWUP_DIAL", "HOTLINE_FOLLOWUP_CLOCK"]
    assert sandbox_defaults(Settings(**{**real, "followup_dial": Settings().followup_dial,
                                        "followup_enabled": False})) == []
    shifted = Settings(**real, clock_offset_seconds=3600)   # tests/demos only
    assert sandbox_defaults(shifted) == [
        "HOTLINE_CLOCK_OFFSET_SECONDS is set: it is for tests and demos only (opening hours)"]


async def test_hotline_call_removes_its_sipp_logs(tmp_path, monkeypatch):
    from hotline.commands import calls

    class Result:
        answered, answer_latency = True, 1.0

    class Caller:
        async def arun(self, timeout):
            return Result()

    class Factory:
        def __init__(self, sip_port, base, work):
            self.work = work
            (work / "01-call-12345").mkdir(parents=True)
            (work / "01-call-12345" / "messages.log").write_text("From: <sip:13912345678@127.0.0.1>")

        def agent_phone(self, n, **options):
            return None

        def caller(self, number, **options):
            return Caller()

        def close(self):
            return []

    async def no_call(*args, **kwargs):
        return None
    monkeypatch.setattr(calls, "SippFactory", Factory)
    monkeypatch.setattr(calls, "find_call", no_call)
    settings = Settings(state_dir=tmp_path, agent_count=1)
    report = await calls._demo(settings, "9", None, True, 0)
    assert report["sip"]["answered"] and list(tmp_path.glob("hotline-call-*")) == []
