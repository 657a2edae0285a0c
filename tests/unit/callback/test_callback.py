"""预约回拨 logic without a PBX: config, the wait estimate, the offer switch, the confirmation dialogue, the
call-back's life (retries, 回拨未接通, duplicate outcomes) and the recovery after a restart."""
from __future__ import annotations

import math
import wave

import pytest

from hotline.callback import placeholder
from hotline.callback.config import CallbackConfigError, load_config, parse_config
from hotline.callback.confirm import confirm_number
from hotline.callback.estimate import estimated_wait
from hotline.callback.offer import OfferSwitch
from hotline.callback.service import CallbackFeature
from hotline.core.config import Settings
from hotline.supervision.queue_model import QueueModel
from telephony.agi import AgiHangup

CONFIG = {"ring_seconds": 5, "attempts": 2, "retry_interval_seconds": 0, "lines": {"tourism": {"threshold_seconds": 60}}}


# --- config ---------------------------------------------------------------------------------------
def test_config_errors_name_the_field_and_unknown_lines(tmp_path):
    with pytest.raises(CallbackConfigError, match=r"attempts"):
        parse_config({"attempts": 0})
    with pytest.raises(CallbackConfigError, match=r"lines\.tourism\.threshold"):
        parse_config({"lines": {"tourism": {"threshold": 5}}})   # extra=forbid
    path = tmp_path / "callback.yaml"
    path.write_text("lines:\n  nowhere: {}\n", encoding="utf-8")
    with pytest.raises(CallbackConfigError, match="nowhere: unknown line"):
        load_config(path, ["business", "tourism", "general"])
    assert load_config(tmp_path / "missing.yaml").lines == {}   # no file: no line offers call-backs


def test_shipped_config_is_valid():
    from hotline.core.config import CONFIG_DIR
    config = load_config(CONFIG_DIR / "callback.yaml", ["business", "tourism", "general"])
    assert config.offers("tourism") and config.attempts >= 1


# --- the estimate -----------------------------------------------------------------------------------
def _member(name: str, status: int = 1, paused: bool = False) -> dict:
    return {"Event": "QueueMemberStatus", "Queue": "tourism", "Interface": f"PJSIP/{name}", "MemberName": name,
            "Status": str(status), "Paused": "1" if paused else "0"}


def _join(uid: str) -> dict:
    return {"Event": "QueueCallerJoin", "Queue": "tourism", "Uniqueid": uid}


def test_estimated_wait_counts_the_callers_ahead_per_agent_on_the_phones():
    model = QueueModel(["tourism"])
    model.apply(_member("agent2", status=2), 0)   # in use
    model.apply(_member("agent4", status=2), 0)
    for n in range(3):
        model.apply(_join(f"c{n}"), 1)
    assert estimated_wait(model, "tourism", 10, default_aht=240) == (3 + 1) * 240 / 2
    model.apply(_member("agent2", paused=True), 2)
    model.apply(_member("agent4", paused=True), 2)
    assert estimated_wait(model, "tourism", 10, default_aht=240) == math.inf   # nobody on the phones
    empty = QueueModel(["tourism"])
    empty.apply(_member("agent2"), 0)
    assert estimated_wait(empty, "tourism", 10, default_aht=240) == 0.0     # a free agent, nobody waiting


# --- the offer switch ---------------------------------------------------------------------------------
def _wav(path, seconds: float) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\1\0" * int(8000 * seconds))


def _seconds(path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_offer_switch_swaps_the_announcement_file(tmp_path):
    switch = OfferSwitch(Settings(), ["tourism"])
    switch.folder = tmp_path
    assert switch.apply({"tourism": True}) == []            # the offer prompt is not built yet
    _wav(tmp_path / "callback-offer.wav", 2.0)
    assert switch.apply({"tourism": True}) == ["tourism"]
    assert _seconds(tmp_path / "callback-offer-live-tourism.wav") == 2.0
    assert switch.apply({"tourism": True}) == []             # unchanged: not rewritten
    assert switch.apply({"tourism": False}) == ["tourism"]
    assert _seconds(tmp_path / "callback-offer-live-tourism.wav") == pytest.approx(0.2)


# --- the confirmation ------------------------------------------------------------------------------
class ScriptedChannel:
    """Keys the caller presses, one per play/wait; None = no key; 'hangup' raises."""

    def __init__(self, keys: list) -> None:
        self.keys, self.played = list(keys), []
        self.channel = "PJSIP/callers-1"

    def _next(self):
        key = self.keys.pop(0) if self.keys else None
        if key == "hangup":
            raise AgiHangup(self.channel)
        return key

    async def play(self, sound: str, escape_keys: str = "") -> str | None:
        self.played.append(sound)
        return self._next() if escape_keys else None

    async def wait_for_key(self, seconds: float) -> str | None:
        return self._next()

    async def prompt_for_key(self, sound: str, seconds: float) -> str | None:
        return await self.play(sound, "x") or await self.wait_for_key(seconds)


@pytest.mark.parametrize("keys,expected", [
    (["1"], "13800138000"),                                   # 1 during the read-back confirms
    ([None] * 12 + [None, "1"], "13800138000"),               # 1 after the whole prompt
    (["1", "3", "9", "0", "0", "0", "0", "1", "1", "1", "1", "#"], "13800138000"),   # '1' confirms at once
    ([None] * 12 + ["0", "1", "0", "5", "5", "5", "1", "2", "3", "4", "#"], "0105551234"),   # another number
    ([None] * 12 + ["2", "3", "#"], None),                    # too short to be a number
    ([None] * 14, None),                                      # no key: back to the queue
    (["hangup"], None),
])
async def test_confirmation(keys, expected):
    assert await confirm_number(ScriptedChannel(keys), lambda name: name, "13800138000", 4) == expected


async def test_anonymous_caller_keys_a_number():
    channel = ScriptedChannel([None, "1", "3", "9", "1", "2", "3", "4", "5", "6", "7", "8", "#"])
    assert await confirm_number(channel, lambda name: name, "", 4) == "13912345678"
    assert channel.played[0] == "callback-confirm-keys"   # nothing to read back


# --- the call-back's life ----------------------------------------------------------------------------
class FakeAmi:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.channels: list[str] = []
        self.notes: dict[str, str] = {}

    async def send_action(self, name: str, **fields):
        self.sent.append((name, fields))
        return {}

    async def send_action_list(self, name: str, **fields):
        if name == "CoreShowChannels":
            return [{"Channel": c} for c in self.channels]
        if name == "DBGet":
            from telephony.ami.errors import AmiActionError
            if fields["Key"] not in self.notes:
                raise AmiActionError("Database entry not found")
            return [{"Val": self.notes[fields["Key"]]}]
        return []

    def originates(self) -> list[dict]:
        return [f for name, f in self.sent if name == "Originate"]


@pytest.fixture
async def feature(unit_redis):
    marks: list[tuple] = []

    async def mark(call_id, status, attempts):
        marks.append((call_id, status, attempts))
    ami = FakeAmi()
    found = CallbackFeature(Settings(), ami, None, unit_redis, parse_config(CONFIG), QueueModel(["tourism"]),
                            mark_ticket=mark, spawn=None)
    found.marks = marks   # type: ignore[attr-defined]
    return found


async def test_no_answer_is_retried_at_the_head_then_marked_failed(feature):
    await feature.book("c1", "tourism", "13800138000", 3, "T1")
    first = feature.ami.originates()[0]
    assert first["Channel"] == "Local/cb-c1-1@hotline-callback-hold" and first["Async"] == "true"
    assert "__HOTLINE_CALLBACK_POSITION=3" in first["Variable"] and "__HOTLINE_CALL_ID=c1" in first["Variable"]
    assert "HOTLINE_CALLBACK_DIAL=PJSIP/callers/sip:13800138000@127.0.0.1:5561" in first["Variable"]

    await feature.outcome("c1", 1, "NOANSWER")
    await feature.outcome("c1", 1, "HANGUP")             # the same attempt seen twice (Hangup after DialEnd)
    assert (await feature.store.get("c1"))["status"] == "retry"
    await feature.retry_due(now=10**10)
    again = feature.ami.originates()[1]
    assert again["Channel"] == "Local/cb-c1-2@hotline-callback-hold"
    assert "__HOTLINE_CALLBACK_POSITION=1" in again["Variable"]   # back in at the head

    await feature.outcome("c1", 2, "BUSY")
    record = await feature.store.get("c1")
    assert record["status"] == "failed" and record["attempts"] == 2
    assert feature.marks == [("c1", "requested", 0), ("c1", "failed", 2)]
    assert await feature.store.counts() == {"pending": 0, "connected": 0, "failed": 1, "requested": 1}


async def test_answer_connects_and_a_second_booking_is_ignored(feature):
    await feature.book("c2", "tourism", "13800138000", 1, "T2")
    await feature.book("c2", "tourism", "13900000000", 1, "T2")
    assert len(feature.ami.originates()) == 1
    await feature.outcome("c2", 1, "ANSWER")
    assert (await feature.store.get("c2"))["status"] == "connected"
    assert feature.marks[-1] == ("c2", "connected", 1)


async def test_recover_after_a_restart(feature):
    for call_id in ("alive", "noted", "lost"):
        await feature.book(call_id, "tourism", "13800138000", 2, None)
    feature.ami.sent.clear()
    feature.ami.channels = [placeholder.channel_name("alive", 1) + "-00000001;2"]
    feature.ami.notes = {"noted": "NOANSWER|1795860000|1"}   # dialled while the controller was away
    await feature.recover()
    assert [f["Channel"] for f in feature.ami.originates()] == ["Local/cb-lost-1@hotline-callback-hold"]
    assert (await feature.store.get("noted"))["status"] == "retry"
    assert (await feature.store.get("alive"))["status"] == "queued"


def test_dial_setting_refuses_dialplan_separators():
    with pytest.raises(ValueError):
        Settings(callback_dial="PJSIP/{number}@trunk,60,G(x)")
    with pytest.raises(ValueError):
        Settings(callback_dial="PJSIP/trunk")   # no {number}


def test_offering_lines_get_the_periodic_offer_and_the_key_exit(tmp_path):
    from hotline.core.config import CONFIG_DIR
    from hotline.pbx import catalogue_queues
    from telephony.pbx.config import render_config

    settings = Settings(pbx_root=tmp_path, instance="unit")
    rendered = render_config(settings, CONFIG_DIR / "asterisk", catalogue_queues(settings)())
    tourism = rendered["queues.conf"].split("[hotline-tourism]")[1].split("\n[")[0]
    assert "context = hotline-callback-offer" in tourism
    assert "periodic-announce = /srv/hotline/unit/sounds/callback-offer-live-tourism" in tourism
    dialplan = rendered["extensions.conf"]
    # Queue()'s 9th argument is the position: the placeholder and a caller sent back keep their place
    assert "Queue(hotline-tourism,,,,,,,,${HOTLINE_CALLBACK_POSITION})" in dialplan
    # a caller sent back: the same options and live max wait as [hotline-queue]
    assert "Queue(hotline-tourism,ct,,,${HOTLINE_MAXWAIT_tourism},,,,${HOTLINE_CALLBACK_POSITION})" in dialplan


def test_config_check_names_callback_problems(tmp_path):
    import shutil

    from hotline.configcheck import check_config
    from hotline.core.config import CONFIG_DIR

    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    (folder / "callback.yaml").write_text("lines:\n  utilities: {}\n", encoding="utf-8")
    assert [str(p) for p in check_config(folder)] == [
        "callback.yaml:lines.utilities: unknown line; the lines are business, tourism, general (config/queues.yaml)"]


async def test_a_placeholder_ami_refused_is_placed_again(feature):
    async def refuse(name, **fields):
        raise ConnectionError("AMI away")
    feature.ami.send_action = refuse
    await feature.book("c3", "tourism", "13800138000", 4, None)
    assert (await feature.store.get("c3"))["status"] == "retry"
    feature.ami = FakeAmi()
    await feature.retry_due(now=10**10)
    placed = feature.ami.originates()
    assert placed[0]["Channel"] == "Local/cb-c3-1@hotline-callback-hold"
    assert "__HOTLINE_CALLBACK_POSITION=4" in placed[0]["Variable"]   # its own place: it never had its turn
