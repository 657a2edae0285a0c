"""The controller raises its CPU priority when it may, and runs anyway when it may not."""
import os
import subprocess
import sys

import pytest

from hotline.core.priority import raise_priority

SNIPPET = """
import json, os, sys
from pathlib import Path
from hotline.core.priority import raise_priority
applied = raise_priority(int(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({**applied, "now": os.getpriority(os.PRIO_PROCESS, 0)}))
"""


def run(nice: int, autogroup) -> str:
    """In a child: the nice value of the test process itself must not change."""
    done = subprocess.run([sys.executable, "-c", SNIPPET, str(nice), str(autogroup)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_lower_nice_value_is_applied_and_written_to_the_autogroup(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("lowering a nice value needs root")
    autogroup = tmp_path / "autogroup"
    out = run(-5, autogroup)
    assert '"nice": -5' in out and '"now": -5' in out and '"autogroup": -5' in out
    assert autogroup.read_text() == "-5\n"


def test_without_the_right_it_says_why_and_goes_on(tmp_path, monkeypatch):
    def refused(*_):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(os, "setpriority", refused)
    applied = raise_priority(-10, tmp_path / "missing-dir" / "autogroup")
    assert applied == {"nice_refused": "Operation not permitted", "autogroup_refused": "No such file or directory"}
