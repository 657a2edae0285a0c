"""The soak, short: 60 real calls (the bench's mix) while each fault happens once — controller and ASR worker
killed -9, Redis and Asterisk restarted. Nothing lost, no duplicate ticket, no stuck channel (bench/soak.py;
definitions in docs/reliability.md). Runs under its own supervisor (`hotline up`), so the session's controller
is stopped first and the supervisor stopped after: the shared fixtures' processes are left as found."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak import run_soak  # noqa: E402

CALLS = 60


@pytest.mark.skipif(not (Path(__file__).parents[2] / "bench" / "soak.py").exists(), reason="bench/ missing")
def test_short_soak_loses_nothing(settings, pbx, redis_server, no_controller, tmp_path):
    if not (settings.asr_model_dir / "test_wavs").exists():
        pytest.skip("speech model test_wavs missing")
    result = run_soak(settings, calls=CALLS, concurrency=10, rate=2.0, rounds=1, hold=45, max_minutes=6,
                      settle_timeout=150, work_dir=tmp_path / "soak")
    print("\n" + result.table)
    report = result.report
    assert report.placed == CALLS
    assert {f.kind for f in result.faults if f.started_at and not f.detail.startswith("FAILED")} == {
        "kill_controller", "kill_asr_worker", "restart_redis", "restart_asterisk"}, result.faults
    assert report.answered >= CALLS - 15, "most calls answered (some fall in the Asterisk restart)"
    assert report.lost_count == 0, report.lost
    assert report.duplicates == [], report.duplicates
    assert report.stuck_channels == 0
    assert report.ticketed == report.needs_ticket > 0
    assert report.transcribed > 0, "some recordings were transcribed"
