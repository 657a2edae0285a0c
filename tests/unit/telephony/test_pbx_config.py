"""Rendering of the sandbox config and the mirror lookup (pure logic, no Asterisk)."""
from pathlib import Path

import pytest

from hotline.core.config import CONFIG_DIR, Settings
from hotline.core.lines import LinesError, load_lines
from telephony.pbx.config import render_config
from telephony.pbx.rootfs import PbxBuildError, build_command, find_debian_mirror


@pytest.fixture
def rendered(tmp_path):
    s = Settings(instance="unit", ami_port=6101, sip_port=6102, rtp_port_start=30000, rtp_port_end=30100,
                 agent_phone_base_port=6110, agent_count=3, pbx_root=tmp_path)
    return render_config(s, CONFIG_DIR / "asterisk", load_lines(CONFIG_DIR / "queues.yaml").pbx_queues())


def test_instance_directories_live_in_the_instance_tree(rendered):
    conf = rendered["asterisk.conf"]
    for key in ("astetcdir", "astvarlibdir", "astdbdir", "astspooldir", "astrundir", "astlogdir"):
        assert f"{key} => /srv/hotline/unit/" in conf


def test_ports_come_from_settings(rendered):
    assert "bind = 127.0.0.1:6102" in rendered["pjsip.conf"]
    assert "port = 6101" in rendered["manager.conf"] and "bindaddr = 127.0.0.1" in rendered["manager.conf"]
    assert "rtpstart = 30000" in rendered["rtp.conf"] and "rtpend = 30100" in rendered["rtp.conf"]
    assert "contact = sip:agent3@127.0.0.1:6113" in rendered["pjsip.conf"]
    assert "agent4" not in rendered["pjsip.conf"]


def test_manager_user_has_only_the_needed_permissions(rendered):
    manager = rendered["manager.conf"]
    assert "read = call,agent,agi,dtmf\n" in manager  # no system: GetConfig would read the secret (issue 10)
    assert "write = call,agent,agi,reporting,originate\n" in manager   # 预约回拨, 回访 (docs/decisions.md)
    assert "channelvars = HOTLINE_CALL_ID,HOTLINE_ROUTE,HOTLINE_TICKET_ID" in manager


def test_queues_are_prefixed_because_queues_conf_reserves_general(rendered):
    queues = rendered["queues.conf"]
    assert "[hotline-general]" in queues and "member => PJSIP/agent3,0,agent3" in queues
    # option c (survey) and t (transfers); the max wait is a global (changed live by AMI Setvar from /admin),
    # its default rendered in [globals]
    assert "Queue(hotline-business,ct,,,${HOTLINE_MAXWAIT_business})" in rendered["extensions.conf"]
    assert "HOTLINE_MAXWAIT_business=600" in rendered["extensions.conf"].split("[from-callers]")[0]
    assert rendered["queues.conf"].count("[general]") == 1


def test_modules_are_explicit(rendered):
    modules = rendered["modules.conf"]
    assert "autoload = no" in modules
    for module in ("chan_pjsip.so", "app_queue.so", "res_agi.so", "res_timing_timerfd.so", "func_db.so"):
        assert f"load => {module}" in modules


def test_bad_queues_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "queues.yaml"
    bad.write_text("queues: [{name: 'has space'}]")
    with pytest.raises(LinesError, match="name"):
        load_lines(bad)
    bad.write_text("queues: [{name: general, label: 综合服务, asterisk_queue: general}]")
    with pytest.raises(LinesError, match="reserves"):
        load_lines(bad)


def test_mirror_from_deb822_sources_skips_security_and_updates(tmp_path: Path):
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n")
    assert find_debian_mirror(tmp_path, tmp_path / "none") == "http://mirror.example/debian"


def test_mirror_from_one_line_sources(tmp_path: Path):
    listing = tmp_path / "sources.list"
    listing.write_text("# comment\ndeb [arch=amd64] http://m.example/debian bookworm main\n")
    assert find_debian_mirror(tmp_path / "nodir", listing) == "http://m.example/debian"


def test_no_mirror_is_a_clear_error(tmp_path: Path):
    with pytest.raises(PbxBuildError, match="no Debian mirror"):
        find_debian_mirror(tmp_path, tmp_path / "none")


def test_build_command_uses_the_mirror_and_a_tmp_dir():
    command = build_command(Path("/r/root"), "http://m.example/debian")
    assert command[-3:] == ["sid", "/r/root.tmp", "deb http://m.example/debian sid main"]
    assert "--include=asterisk" in command
