"""Lines and accounts edited by admins: both files validated together, rewritten (previous kept), the running
catalogue and directory changed in place, Asterisk told through AMI, every change audited without hashes."""
from __future__ import annotations

import shutil

import pytest
import yaml

from hotline.admin import audit
from hotline.auth import login_guard
from hotline.auth.service import get_directory
from hotline.configcheck import check_config
from hotline.core.config import CONFIG_DIR, Settings
from hotline.core.lines import load_lines
from hotline.lineadmin.service import AdminInvalid, LinesAdmin

ADMIN = audit.Actor("admin", "admin", "127.0.0.1")


class RecordingAmi:
    """Records actions; nobody is signed in on a console."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []

    async def send_action(self, action: str, **fields):
        self.sent.append((action, fields))

    async def send_action_list(self, action: str, **fields):
        self.sent.append((action, fields))
        return []


@pytest.fixture
def admin(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("*.prev"))
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(folder / "users.yaml"))
    toml = folder / "hotline.toml"                   # a PBX with six phones (agent5, agent6 unassigned)
    toml.write_text(toml.read_text(encoding="utf-8").replace("agent_count = 4", "agent_count = 6"), encoding="utf-8")
    # no Asterisk instance directory here: nothing to re-render, members are added through AMI
    settings = Settings(config_dir=folder, pbx_root=tmp_path / "no-pbx", agent_count=6)
    lines = load_lines(settings.queues_file)
    return LinesAdmin(settings, lines, RecordingAmi())


async def test_a_line_edit_is_written_applied_in_place_and_audited(admin, unit_redis):
    catalogue = admin.lines                          # the object every feature of the controller holds
    result = await admin.update_line(unit_redis, ADMIN, "tourism",
                                     {"members": ["agent2", "agent3"], "max_wait_seconds": 300}, "加人")
    assert catalogue.get("tourism").members == ["agent2", "agent3"] and catalogue.queues_for("agent3") == [
        "tourism", "general"]
    assert load_lines(admin.settings.queues_file) == catalogue                       # the CLI reads the same
    assert "members: [agent2, agent3]" not in admin.settings.queues_file.with_name("queues.yaml.prev").read_text(
        encoding="utf-8")
    assert ("QueueAdd", {"Queue": "hotline-tourism", "Interface": "PJSIP/agent3", "MemberName": "agent3",
                         "StateInterface": "PJSIP/agent3", "Paused": "false"}) in admin.ami.sent
    assert ("Setvar", {"Variable": "HOTLINE_MAXWAIT_tourism", "Value": "300"}) in admin.ami.sent
    assert "QueueAdd agent3 to hotline-tourism" in result["applied"]
    entry = (await audit.entries(unit_redis))[0]
    assert (entry["action"], entry["target"], entry["note"]) == ("line.update", "line:tourism", "加人")
    assert entry["before"]["max_wait_seconds"] == 600 and entry["after"]["max_wait_seconds"] == 300
    assert check_config(admin.settings.config_dir) == []


@pytest.mark.parametrize("changes, error", [
    ({"members": ["agent5"]}, "no user is bound to phone 'agent5'"),
    ({"members": ["agent2"], "login_members": ["agent2"]}, "both members and login_members"),
    ({"label": ""}, "label"),
])
async def test_a_bad_line_edit_changes_nothing(admin, unit_redis, changes, error):
    before = admin.settings.queues_file.read_text(encoding="utf-8")
    with pytest.raises(AdminInvalid, match=error):
        await admin.update_line(unit_redis, ADMIN, "tourism", changes, "")
    assert admin.settings.queues_file.read_text(encoding="utf-8") == before and admin.ami.sent == []
    assert await audit.entries(unit_redis) == []


async def test_accounts_create_bind_disable_and_reset_without_leaking_hashes(admin, unit_redis):
    created = await admin.create_user(unit_redis, ADMIN, {"username": "agent5", "display_name": "坐席五 赵敏",
                                                          "role": "agent", "endpoint": "agent5"},
                                      "secret-pw-5", ["business"], "新坐席")
    assert created["user"]["queues"] == ["business"] and admin.lines.get("business").login_members == ["agent5"]
    text = admin.settings.config_dir.joinpath("users.yaml").read_text(encoding="utf-8")
    assert "secret-pw-5" not in text and text.startswith("# Users of the agent console")
    user = login_guard.check_password(get_directory(), "agent5", "secret-pw-5")
    assert user is not None and user.endpoint == "agent5"

    await admin.update_user(unit_redis, ADMIN, "agent5", {"endpoint": "agent6"}, None, "换话机")
    assert admin.lines.get("business").login_members == ["agent6"]          # its lines follow the phone
    token, session = login_guard.new_session(get_directory().get("agent5"))
    assert login_guard.session_user(get_directory(), token, session) is not None
    disabled = await admin.update_user(unit_redis, ADMIN, "agent5", {"disabled": True}, None, "离职")
    assert disabled["applied"] == ["QueueRemove agent6 from hotline-business"]   # off the console queues
    assert login_guard.check_password(get_directory(), "agent5", "secret-pw-5") is None    # no login
    assert login_guard.session_user(get_directory(), token, session) is None               # session over
    await admin.update_user(unit_redis, ADMIN, "agent5", {"disabled": False}, None, "")
    await admin.reset_password(unit_redis, ADMIN, "agent5", "another-pw-5", "忘记密码")
    assert login_guard.session_user(get_directory(), token, session) is None                # old session void
    assert login_guard.check_password(get_directory(), "agent5", "another-pw-5") is not None
    with pytest.raises(AdminInvalid, match="too short"):
        await admin.reset_password(unit_redis, ADMIN, "agent5", "short", "")
    with pytest.raises(AdminInvalid, match="not a phone of this PBX"):
        await admin.update_user(unit_redis, ADMIN, "agent5", {"endpoint": "agent9"}, None, "")
    with pytest.raises(AdminInvalid, match="cannot disable or demote"):
        await admin.update_user(unit_redis, ADMIN, "admin", {"disabled": True}, None, "")

    entries = await audit.entries(unit_redis, target="user:agent5")
    assert [e["action"] for e in entries] == ["user.password", "user.update", "user.update", "user.update",
                                             "user.create"]
    everything = yaml.safe_dump([e | {"diff": e["diff"]} for e in entries], allow_unicode=True)
    assert "pbkdf2" not in everything and "password_hash" not in everything and "pw-5" not in everything
    assert '+  "disabled": true' in entries[2]["diff"]
    assert check_config(admin.settings.config_dir) == []


async def test_asterisk_away_the_edit_is_saved_audited_and_says_so(admin, unit_redis):
    async def down(action, **fields):
        from telephony.ami.errors import AmiError
        raise AmiError("not connected")
    admin.ami.send_action = down
    result = await admin.update_line(unit_redis, ADMIN, "general", {"members": ["agent3", "agent1"]}, "")
    assert result["applied"][0].startswith("not applied to Asterisk") and "not connected" in result["applied"][0]
    assert load_lines(admin.settings.queues_file).get("general").members == ["agent3", "agent1"]
    assert [e["target"] for e in await audit.entries(unit_redis)] == ["line:general"]
