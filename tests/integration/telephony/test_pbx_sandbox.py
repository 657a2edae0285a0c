"""The sandbox and the SIPp driver against the real Asterisk: calls, DTMF, audio, agent phones."""
import asyncio
import wave
from pathlib import Path

import pytest

from telephony.ami.manager import AmiManager

pytestmark = pytest.mark.integration


@pytest.fixture
async def ami(settings, pbx):
    manager = AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
                         ping_interval=1.0, action_timeout=5.0)
    await manager.connect()
    yield manager
    await manager.close()


class EventLog:
    """Collects AMI events for one caller id."""

    def __init__(self, ami: AmiManager, caller_id: str, names: tuple[str, ...]):
        self.caller_id, self.events = caller_id, []
        self.unsubscribe = ami.on_event(names, self._on)

    def _on(self, event):
        if event.get("CallerIDNum") == self.caller_id:
            self.events.append(event)

    def named(self, name: str) -> list:
        return [e for e in self.events if e.name == name]

    async def wait_for(self, name: str, timeout: float = 20.0):
        for _ in range(int(timeout / 0.05)):
            if self.named(name):
                return self.named(name)[0]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no {name} for {self.caller_id}; got {[e.name for e in self.events]}")


def test_status_reports_asterisk_22_and_reachable_ami(pbx):
    status = pbx.status()
    assert status.version.startswith("Asterisk 22")
    assert status.running and status.ami_reachable
    assert "hotline-general" in pbx.cli("queue show hotline-general")


async def test_call_to_hotline_shows_channel_events_at_ami(ami, sipp, settings):
    log = EventLog(ami, "13700000001", ("Newchannel", "Hangup"))
    result = await sipp.caller(settings.hotline_number, caller_id="13700000001", digits="9", hold=1.0).arun(30)
    await log.wait_for("Hangup")
    assert result.exit_code == 0 and result.answered and result.answer_latency is not None
    newchannel = log.named("Newchannel")[0]
    assert newchannel["Exten"] == settings.hotline_number
    assert log.named("Hangup")[0]["Uniqueid"] == newchannel["Uniqueid"]
    log.unsubscribe()


async def test_caller_audio_reaches_asterisk(ami, sipp, settings, pbx, tmp_path):
    source = tmp_path / "tone.wav"
    with wave.open(str(source), "wb") as out:  # 2 s of 16 kHz square-ish tone: the driver must resample it
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(b"".join((8000 if (i // 20) % 2 else -8000).to_bytes(2, "little", signed=True)
                                 for i in range(32000)))
    log = EventLog(ami, "13700000002", ("Newchannel", "Hangup"))
    call = sipp.caller(settings.hotline_number, caller_id="13700000002", answer_pause=1.5, audio=source,
                       audio_pause=0.0, hold=0.5)
    running = asyncio.ensure_future(call.arun(30))
    channel = (await log.wait_for("Newchannel"))["Channel"]
    await asyncio.sleep(0.5)
    recording = f"{settings.pbx_instance_dir}/recordings/test-rx-{channel.replace('/', '-')}.wav"
    pbx.cli(f"mixmonitor start {channel} {recording}.all.wav,r({recording})")
    assert (await running).answered
    await log.wait_for("Hangup")
    await asyncio.sleep(0.5)  # MixMonitor closes its files after the hangup
    host_file = settings.host_path(recording)
    with wave.open(str(host_file)) as heard:
        frames = heard.readframes(heard.getnframes())
    samples = [int.from_bytes(frames[i:i + 2], "little", signed=True) for i in range(0, len(frames), 2)]
    assert max(abs(s) for s in samples) > 3000, "Asterisk recorded silence: the caller's RTP never arrived"
    host_file.unlink()
    Path(f"{host_file}.all.wav").unlink(missing_ok=True)


async def test_agent_phone_answers_a_queued_call(ami, sipp, settings):
    # no controller runs here, so the dialplan's fallback queues the caller on the general line (agent3)
    phone = sipp.agent_phone(3, answer_delay=0.3)
    log = EventLog(ami, "13700000003", ("AgentConnect",))
    call = asyncio.ensure_future(
        sipp.caller(settings.hotline_number, caller_id="13700000003", hold=3.0).arun(40))
    await phone.wait_for("INVITE", caller="13700000003", timeout=20)
    connect = await log.wait_for("AgentConnect")
    assert connect["Queue"] == "hotline-general" and connect["MemberName"] == "agent3"
    assert (await call).answered
    await phone.wait_for("BYE", caller="13700000003", timeout=5)
    assert [e.kind for e in phone.events_for("13700000003")] == ["INVITE", "ANSWERED", "BYE"]


async def test_unanswering_agent_phone_sees_cancel(sipp, settings, pbx):
    phone = sipp.agent_phone(3, answer=False)
    result = await sipp.caller(settings.hotline_number, caller_id="13700000004", hold=2.0).arun(30)
    assert result.answered and not result.remote_hangup
    await phone.wait_for("CANCELLED", caller="13700000004", timeout=10)
    assert [e.kind for e in phone.events_for("13700000004")] == ["INVITE", "CANCELLED"]


async def test_remote_hangup_is_reported(ami, sipp, settings, pbx):
    log = EventLog(ami, "13700000005", ("Newchannel",))
    call = asyncio.ensure_future(sipp.caller(settings.hotline_number, caller_id="13700000005", hold=None).arun(30))
    channel = (await log.wait_for("Newchannel"))["Channel"]
    await asyncio.sleep(1.0)
    pbx.cli(f"channel request hangup {channel}")
    result = await call
    assert result.answered and result.remote_hangup and result.exit_code == 0


def test_logs_with_caller_numbers_are_private_and_rotated(pbx, settings):
    """Issue 10: queue_log (caller numbers) was world-readable and grew forever."""
    import stat

    log_dir = pbx.host_dir / "log"
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    assert pbx.rotate_logs(max_bytes=0)  # everything is "too big": rotate now
    for name in ("full", "queue_log"):
        assert (log_dir / name).exists() and stat.S_IMODE((log_dir / name).stat().st_mode) & 0o077 == 0, name
    for _ in range(3):
        pbx.rotate_logs(max_bytes=0, keep=2)
    assert sorted(p.name for p in log_dir.glob("queue_log*")) == ["queue_log", "queue_log.0", "queue_log.1"]
