"""Admin prompt recordings: refused when too short or too long (issue 10 item 8), the old prompt kept."""
import shutil
import wave

import pytest

from ivr import prompts

pytestmark = pytest.mark.skipif(not shutil.which("sox"), reason="sox not installed")


def tone(path, seconds: float, rate: int = 16000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x10\x00" * int(seconds * rate))
    return path


@pytest.fixture
def sounds(tmp_path, monkeypatch):
    folder = tmp_path / "sounds"
    monkeypatch.setattr(prompts, "sounds_dir", lambda settings: folder)
    return folder


def seconds_of(path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize("seconds", [0.0, 0.1, 0.29, 120.5, 300])
def test_too_short_or_too_long_is_refused_and_the_old_prompt_stays(sounds, tmp_path, seconds):
    prompts.set_recording(None, "welcome", tone(tmp_path / "ok.wav", 2.0))
    with pytest.raises(prompts.PromptError, match=r"a prompt must be 0.3-120 s"):
        prompts.set_recording(None, "welcome", tone(tmp_path / "bad.wav", seconds))
    assert seconds_of(sounds / "welcome.wav") == pytest.approx(2.0)
    assert sorted(p.name for p in sounds.iterdir()) == ["welcome.admin", "welcome.wav"]  # no temp file left


@pytest.mark.parametrize("seconds", [0.3, 1.0, 119.9])
def test_lengths_within_bounds_are_installed_at_8khz(sounds, tmp_path, seconds):
    target = prompts.set_recording(None, "queue-wait", tone(tmp_path / "in.wav", seconds))
    with wave.open(str(target)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)
    assert seconds_of(target) == pytest.approx(seconds, abs=0.01)
