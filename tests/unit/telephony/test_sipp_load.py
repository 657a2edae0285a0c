"""SippLoad without a SIP server: the load scenario renders to valid XML, per-call results from the shared log."""
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from telephony.sipp import SippError, SippLoad, render_steps
from telephony.sipp.process import _templates


def test_load_scenario_renders_per_call_log_lines(tmp_path):
    steps = render_steps([("pause", 1.5), ("dtmf", "9"), ("pause", 1.0), ("dtmf", "#"), ("pause", 3.0)],
                         tmp_path, max_hold=60)
    xml = _templates.get_template("load_caller.xml.j2").render(caller_prefix="77100", steps=steps,
                                                               reject_codes=(486,), answer_timeout_ms=1000)
    root = ET.fromstring(xml.encode())
    assert root.tag == "scenario"
    logs = [el.get("message") for el in root.iter("log")]
    assert all("[call_id]" in m for m in logs)  # calls share one log file
    assert "INVITE_SENT [clock_tick] [call_id] 77100[call_number]" in logs
    assert 'From: "77100[call_number]"' in xml


def load_with_log(tmp_path, lines):
    load = SippLoad(5060, "12345", calls=4, rate=10, steps=[("pause", 1.0)], work_dir=tmp_path)
    load.process = SimpleNamespace(events=lambda: [line.split(" ", 3) for line in lines])
    return load


def test_results_per_call_from_interleaved_log(tmp_path):
    load = load_with_log(tmp_path, [
        "INVITE_SENT 100 1-1@h 1391", "INVITE_SENT 200 2-1@h 1392", "INVITE_SENT 300 3-1@h 1393",
        "INVITE_SENT 400 4-1@h 1394",
        "ANSWERED 1104 1-1@h", "REJECTED 260 2-1@h SIP/2.0 486", "END 262 2-1@h", "ANSWERED 1308 3-1@h",
        "DTMF 2700 1-1@h 9", "LOCAL_BYE 5000 1-1@h", "END 5003 1-1@h", "NO_ANSWER 10400 4-1@h", "END 10500 4-1@h",
    ])
    calls = {c.caller_id: c for c in load.results()}
    assert calls["1391"].outcome == "answered" and calls["1391"].answer_latency == pytest.approx(1.004)
    assert calls["1392"].outcome == "rejected" and calls["1392"].final_status == 486
    assert calls["1393"].outcome == "unfinished" and calls["1393"].answer_latency == pytest.approx(1.008)
    assert calls["1394"].outcome == "no_answer" and calls["1394"].answer_latency is None


def test_bad_caller_prefix_is_refused():
    with pytest.raises(SippError, match="prefix"):
        SippLoad(5060, "12345", calls=1, rate=1, steps=[], caller_prefix="13x")
