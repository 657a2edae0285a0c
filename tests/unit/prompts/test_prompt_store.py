"""Admins' prompts on disk (issue 12 item 2): a recording is checked (too short, too long, silent, unreadable →
the reason in Chinese and English, nothing changed), converted to 8 kHz mono and installed atomically; text is
re-synthesised; reset brings back the exact default; set-up never overwrites an admin's prompt."""
from __future__ import annotations

import subprocess
import wave

import pytest

from hotline.prompts import audio, prompt_names
from hotline.prompts.store import PromptNotFound
from ivr import prompts

from prompt_audio import noise, tone, write_wav


def state(store) -> dict:
    """Everything in the sounds folder: name → bytes (the folder is small)."""
    return {str(p.relative_to(store.folder)): p.read_bytes() for p in sorted(store.folder.rglob("*")) if p.is_file()}


def corrupt(path):
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)
    return path


def empty(path):
    path.write_bytes(b"")
    return path


def dc_only(path):
    import numpy as np
    return write_wav(path, np.full(16000, 0.4))


REFUSED = {
    "too_short": (lambda p: tone(p / "short.wav", 0.2), "录音太短"),
    "too_long": (lambda p: tone(p / "long.wav", 121, rate=8000), "录音太长"),
    "silent": (lambda p: tone(p / "silent.wav", 2.0, level=0.0), "录音几乎无声"),
    "faint noise": (lambda p: noise(p / "faint.wav", 2.0, level=0.002), "录音几乎无声"),
    "dc offset": (lambda p: dc_only(p / "dc.wav"), "录音几乎无声"),
    "corrupt": (lambda p: corrupt(p / "upload"), "无法读取该音频文件"),
    "empty file": (lambda p: empty(p / "upload.wav"), "无法读取该音频文件"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_recordings_are_refused_with_the_reason_and_nothing_changes(store, tmp_path, case):
    make, chinese = REFUSED[case]
    before = state(store)
    with pytest.raises(audio.PromptRefused) as refused:
        store.upload("welcome", make(tmp_path), by="admin")
    assert chinese in str(refused.value) and " / " in str(refused.value)   # Chinese / English
    assert refused.value.en and refused.value.reason in {"too_short", "too_long", "silent", "unreadable"}
    assert state(store) == before                                          # no file changed, none left behind
    assert store.info("welcome")["source"] == "default"


def test_an_upload_is_converted_installed_and_reset_brings_back_the_default(store, tmp_path):
    default = store.info("welcome")
    source = tone(tmp_path / "in.wav", 1.5, hz=700, rate=44100, channels=2)
    flac = tmp_path / "recording.flac"
    subprocess.run(["sox", str(source), str(flac)], check=True)
    store.upload("welcome", flac, by="alice")

    info = store.info("welcome")
    assert (info["source"], info["duration"], info["updated_by"]) == ("uploaded", 1.5, "alice")
    assert info["sha256"] != default["sha256"] and info["text"] == default["text"]   # the text it replaced
    with wave.open(str(store.path("welcome"))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
    assert not [p for p in store.folder.rglob(".tmp-*")]

    assert store.reset("welcome") is True
    assert store.info("welcome") | {"updated_at": 0} == default | {"updated_at": 0}   # the very same file
    assert store.reset("welcome") is False                                           # already the default


def test_text_is_resynthesised_and_listed(store):
    store.synthesise("goodbye", "  感谢来电，\n祝您生活愉快。 ", by="bob")
    info = store.info("goodbye")
    assert (info["source"], info["text"], info["updated_by"]) == ("regenerated", "感谢来电， 祝您生活愉快。", "bob")
    assert info["default_text"] == "再见。" and info["duration"] > 1.0
    store.synthesise("goodbye", "-f /etc/passwd", by="bob")   # spoken, never an espeak-ng option
    assert store.info("goodbye")["text"] == "-f /etc/passwd"


@pytest.mark.parametrize("text, reason", [("   ", "empty_text"), ("长" * 501, "text_too_long"),
                                          ("你好\x00", "bad_text")])
def test_bad_text_is_refused(store, text, reason):
    before = state(store)
    with pytest.raises(audio.PromptRefused) as refused:
        store.synthesise("goodbye", text, by="bob")
    assert refused.value.reason == reason and state(store) == before


def test_setup_never_overwrites_an_admin_prompt_and_keeps_its_default_current(store, prompt_settings, tmp_path):
    store.upload("welcome", tone(tmp_path / "in.wav", 1.0), by="alice")
    uploaded = store.path("welcome").read_bytes()
    assert prompts.build_defaults(prompt_settings, force=True) == ["welcome", "goodbye"]
    assert store.path("welcome").read_bytes() == uploaded
    assert prompts.saved_default_path(store.folder, "welcome").is_file()   # rebuilt aside, for reset


def test_new_prompts_count_as_existing_and_have_no_default(store, prompt_settings, tmp_path):
    assert prompt_names(prompt_settings) == {"welcome", "goodbye"}
    store.upload("holiday-notice", tone(tmp_path / "in.wav", 1.0), by="alice")
    assert prompt_names(prompt_settings) == {"welcome", "goodbye", "holiday-notice"}
    assert store.info("holiday-notice")["has_default"] is False
    with pytest.raises(PromptNotFound, match="没有默认文本"):
        store.reset("holiday-notice")


@pytest.mark.parametrize("filename, saved", [("a.WAV", "upload.wav"), ("../../etc/passwd", "upload"),
                                             ("x.mp3;rm -rf", "upload"), (None, "upload"), ("voice.flac", "upload.flac")])
def test_the_clients_file_name_is_never_used(filename, saved):
    assert audio.scratch_name(filename) == saved


@pytest.mark.parametrize("seconds", [0.3, 119.9])
def test_lengths_at_the_bounds_are_installed_at_8khz(store, tmp_path, seconds):
    store.upload("goodbye", tone(tmp_path / "in.wav", seconds, rate=22050), by="alice")
    assert store.info("goodbye")["duration"] == pytest.approx(seconds, abs=0.01)
