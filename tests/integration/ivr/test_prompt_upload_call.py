"""Upload a prompt through the API and the next real call plays it (issue 12 item 2): a recording of three tones
replaces the welcome through the running controller, then a SIPp caller is called; the audio on the wire to the
caller (RTP captured on the loopback, decoded) is the uploaded recording, sample for sample as the API serves
it. Reset, and the next call hears the default again. No reload between: Asterisk opens the file each time."""
from __future__ import annotations

import io
import os
import sys
import time
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from hotline.admin import audit
from hotline.prompts.store import PromptStore

from helpers import new_caller
from rtp_tap import RtpTap

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "prompts"))
from prompt_audio import tones  # noqa: E402

TONES = [(600, 0.5), (1400, 0.5), (900, 0.6)]   # 1.6 s that no TTS prompt sounds like


def wav_samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == 8000
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2") / 32768


def best_match(heard: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """Normalised correlation of `reference` with the best-aligned stretch of `heard`, and that offset (heard
    is padded with silence: Asterisk sends no RTP while nothing plays, and may drop the last partial frame)."""
    n = len(reference)
    heard = np.concatenate([np.zeros(n), heard, np.zeros(n)])
    size = 1 << (len(heard) + n).bit_length()   # correlation by FFT: a direct one takes seconds
    scores = np.fft.irfft(np.fft.rfft(heard, size) * np.conj(np.fft.rfft(reference, size)), size)[:len(heard) - n + 1]
    power = np.concatenate([[0.0], np.cumsum(heard ** 2)])
    energy = np.sqrt(np.maximum(power[n:] - power[:-n], 0)) * np.sqrt(np.sum(reference ** 2))
    offset = int(np.argmax(scores / np.maximum(energy, 1e-9)))
    return float(scores[offset] / max(energy[offset], 1e-9)), offset - n


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * 8000 / len(samples))


async def call_and_listen(sipp, settings, seconds: float) -> np.ndarray:
    """A caller that presses nothing and hangs up after `seconds`: what reached its media port."""
    caller = sipp.caller(settings.hotline_number, caller_id=new_caller(), steps=[("pause", seconds)])
    process = caller.start()
    media_port = int(process.process.args[process.process.args.index("-mp") + 1])
    with RtpTap(media_port) as tap:   # the answer comes after ring_seconds: the tap is listening by then
        await process.wait_async(seconds + 20)
    assert caller.result().answered
    return tap.audio()


@pytest.fixture
def restore_welcome(settings):
    if os.geteuid() != 0:
        pytest.skip("capturing the caller's RTP needs a raw socket (root)")
    yield
    store = PromptStore(settings)
    store.reset("welcome")   # the other tests time their key presses to the default welcome


async def test_uploaded_welcome_is_what_the_next_call_hears(settings, controller, sipp, redis, tmp_path,
                                                            restore_welcome):
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30) as http:
        login = await http.post("/api/auth/login", json={"username": "admin", "password": "admin@12345"})
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        default = (await http.get("/api/prompts/welcome/audio")).content

        recording = tones(tmp_path / "welcome.wav", TONES, rate=44100, channels=2, level=0.4)
        upload = await http.put("/api/prompts/welcome/recording",
                                files={"file": ("welcome.wav", recording.read_bytes())})
        assert upload.status_code == 200, upload.text
        assert (upload.json()["source"], upload.json()["duration"]) == ("uploaded", 1.6)
        uploaded = wav_samples((await http.get("/api/prompts/welcome/audio")).content)

        heard = await call_and_listen(sipp, settings, 4.0)
        match, offset = best_match(heard, uploaded)
        assert match > 0.95, f"the call's audio is not the uploaded prompt (correlation {match:.3f})"
        start = offset
        for hz, seconds in TONES:   # and it is the three tones, in order
            middle = heard[start + 400:start + int(seconds * 8000) - 400]
            assert dominant_hz(middle) == pytest.approx(hz, abs=20)
            start += int(seconds * 8000)
        assert len(heard) <= len(uploaded) + 160   # and nothing else: the menu waits for a key in silence

        reset = await http.post("/api/prompts/welcome/reset")
        assert (await http.get("/api/prompts/welcome/audio")).content == default
        heard_again = await call_and_listen(sipp, settings, 3.5)
        first_seconds = wav_samples(default)[:2 * 8000]
        assert best_match(heard_again, first_seconds)[0] > 0.95   # the default welcome again
        assert best_match(heard_again, uploaded)[0] < 0.5

    actions = [(e["action"], e["after"]["source"]) for e in await audit.entries(redis, target="prompt:welcome")]
    assert actions == [("prompt.reset", "default"), ("prompt.upload", "uploaded")]
    assert reset.json()["source"] == "default"
