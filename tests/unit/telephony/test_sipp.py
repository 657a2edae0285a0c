"""SIPp driver pieces that need no SIP server: scenarios render to valid XML, WAV → RTP pcap."""
import struct
import wave
import xml.etree.ElementTree as ET

import pytest

from telephony.sipp import SippAgentPhone, SippCaller, SippError, wav_to_pcap
from telephony.sipp.process import _templates


def write_wav(path, seconds=1.0, rate=16000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate)
        out.writeframes(b"\x10\x00" * int(seconds * rate))
    return path


def test_wav_becomes_20ms_pcmu_rtp_packets(tmp_path):
    seconds = wav_to_pcap(write_wav(tmp_path / "a.wav"), tmp_path / "a.pcap")
    data = (tmp_path / "a.pcap").read_bytes()
    assert seconds == pytest.approx(1.0, abs=0.01)
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
    first_len = struct.unpack("<I", data[32:36])[0]
    assert first_len == 14 + 20 + 8 + 12 + 160  # ethernet + IPv4 + UDP + RTP + 20 ms of mu-law
    rtp = data[40 + 42:40 + 54]
    assert rtp[0] == 0x80 and rtp[1] & 0x7F == 0  # RTP v2, payload type 0 (PCMU)
    assert len(data) == 24 + 50 * (16 + first_len)


def test_caller_scenario_renders_steps(tmp_path):
    caller = SippCaller(5060, "12345", caller_id="13900000000", digits="9*", audio=write_wav(tmp_path / "s.wav"),
                        hold=None, work_dir=tmp_path)
    steps = caller._render_steps()
    kinds = [s["kind"] for s in steps]
    assert kinds.count("dtmf") == 2 and "audio" in kinds and steps[-1] == {"kind": "pause", "ms": 300000}
    dtmf = [s["pcap"].name for s in steps if s["kind"] == "dtmf"]
    assert dtmf[0].endswith("-9.pcap") and dtmf[1].endswith("-star.pcap")
    xml = _templates.get_template("caller.xml.j2").render(caller_id="13900000000", steps=steps,
                                                          reject_codes=(486,), answer_timeout_ms=1000)
    root = ET.fromstring(xml.encode())
    assert root.tag == "scenario" and "13900000000" in xml


@pytest.mark.parametrize("answer, talk", [(True, None), (True, 5.0), (False, None)])
def test_agent_phone_scenario_is_valid_xml(tmp_path, answer, talk):
    phone = SippAgentPhone("agent1", 5111, answer=answer, talk_seconds=talk, work_dir=tmp_path)
    xml = _templates.get_template("agent_phone.xml.j2").render(
        user=phone.user, answer=answer, answer_delay_ms=500, talk_ms=int(talk * 1000) if talk else 0)
    ET.fromstring(xml.encode())
    assert "CANCEL" in xml and "200 OK" in xml  # every variant answers a CANCEL


def test_bad_digits_are_refused():
    with pytest.raises(SippError, match="DTMF"):
        SippCaller(5060, "12345", digits="9a")
