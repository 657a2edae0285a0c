"""Sandbox lifecycle against the real Asterisk: restart, idempotent up, CLI errors."""
import pytest

from telephony.pbx import PbxError, PbxSandbox

pytestmark = pytest.mark.integration


def test_restart_brings_a_new_ready_asterisk(pbx):
    old_pid = pbx.pid()
    pbx.restart()
    status = pbx.status()
    assert status.running and status.ami_reachable and status.pid != old_pid
    assert "hotline-business" in pbx.cli("queue show hotline-business")


def test_up_is_idempotent_and_keeps_the_process(pbx):
    pid = pbx.pid()
    assert pbx.up() is False
    assert pbx.pid() == pid


def test_instances_are_isolated(pbx, settings):
    other = PbxSandbox(settings.model_copy(update={"instance": "not-running-here"}))
    assert not other.running()
    with pytest.raises(PbxError, match="not running"):
        other.cli("core show version")
    astdb = settings.host_path(settings.pbx_instance_dir) / "lib" / "astdb.sqlite3"
    assert astdb.exists(), "each instance keeps its own AstDB in its own lib/"
