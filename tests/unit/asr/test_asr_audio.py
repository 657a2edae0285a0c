"""WAV validation, G.711 decoding, resampling quality, silence check."""
from __future__ import annotations

import struct
import wave

import numpy as np
import pytest

from asr.audio import Audio, AudioError, StreamResampler, is_silent, load_wav, resample


def tone(freq: float, rate: int, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def riff(fmt_tag: int, rate: int, bits: int, data: bytes, channels: int = 1) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mulaw_encode(samples: np.ndarray) -> bytes:
    """Reference G.711 mu-law encoder (the Sun g711.c algorithm)."""
    pcm = np.clip((samples * 32768).astype(np.int32), -32635, 32635)
    sign = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.abs(pcm) + 0x84
    exponent = np.floor(np.log2(magnitude >> 7)).astype(np.int32).clip(0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (((exponent << 4) | mantissa) ^ sign).astype(np.uint8).tobytes()


@pytest.mark.parametrize("rate", [8000, 16000])
def test_pcm16_mono_at_telephone_and_wideband_rates(tmp_path, rate, pcm_wav):
    path = pcm_wav(tmp_path / "t.wav", tone(440, rate), rate)
    audio = load_wav(path)
    assert audio.sample_rate == rate and audio.samples.dtype == np.float32
    assert audio.seconds == pytest.approx(1.0)
    assert np.abs(audio.samples - tone(440, rate)).max() < 1e-4


def test_stereo_is_mixed_to_mono(tmp_path):
    left, right = tone(440, 8000), np.zeros(8000, np.float32)
    pcm = (np.stack([left, right], axis=1) * 32767).astype("<i2").tobytes()
    (tmp_path / "s.wav").write_bytes(riff(1, 8000, 16, pcm, channels=2))
    assert np.abs(load_wav(tmp_path / "s.wav").samples - left / 2).max() < 1e-3


def test_mulaw_wav_as_asterisk_writes_it(tmp_path):
    signal = tone(300, 8000)
    (tmp_path / "u.wav").write_bytes(riff(7, 8000, 8, mulaw_encode(signal)))
    audio = load_wav(tmp_path / "u.wav")
    assert audio.sample_rate == 8000 and len(audio.samples) == 8000
    error = audio.samples - signal
    assert 10 * np.log10(np.mean(signal**2) / np.mean(error**2)) > 30  # G.711 gives ~38 dB SNR


def test_alaw_known_codes(tmp_path):
    (tmp_path / "a.wav").write_bytes(riff(6, 8000, 8, bytes([0xD5, 0x55, 0x2A, 0xAA])))
    assert list(load_wav(tmp_path / "a.wav").samples * 32768) == [8, -8, -32256, 32256]


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_wav(tmp_path / "absent.wav")


def test_not_a_wav(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"ID3\x03 this is an mp3 " * 10)
    with pytest.raises(AudioError, match="not a RIFF/WAVE"):
        load_wav(tmp_path / "x.wav")


@pytest.mark.parametrize("cut", [12, 20, 30])
def test_truncated_header_is_corrupt(tmp_path, cut):
    (tmp_path / "c.wav").write_bytes(riff(1, 8000, 16, b"\x00\x01" * 100)[:cut])
    with pytest.raises(AudioError, match="corrupt"):
        load_wav(tmp_path / "c.wav")


def test_inconsistent_fmt_is_corrupt(tmp_path):
    data = riff(1, 8000, 16, b"\x00\x01" * 100)
    broken = data.replace(struct.pack("<HH", 2, 16), struct.pack("<HH", 7, 16), 1)  # block_align 7
    (tmp_path / "c.wav").write_bytes(broken)
    with pytest.raises(AudioError, match="corrupt"):
        load_wav(tmp_path / "c.wav")


def test_recording_cut_short_keeps_what_is_there(tmp_path):
    full = riff(1, 8000, 16, (tone(440, 8000) * 32767).astype("<i2").tobytes())
    (tmp_path / "cut.wav").write_bytes(full[: len(full) // 2])
    assert 0.4 < load_wav(tmp_path / "cut.wav").seconds < 0.5


@pytest.mark.parametrize("tag, name", [(0x0031, "GSM"), (0x0003, "IEEE float"), (0x0055, "MP3")])
def test_unsupported_encoding_is_named(tmp_path, tag, name):
    (tmp_path / "g.wav").write_bytes(riff(tag, 8000, 16, b"\x00" * 64))
    with pytest.raises(AudioError, match=f"unsupported WAV encoding {name}"):
        load_wav(tmp_path / "g.wav")


def test_8bit_pcm_is_unsupported(tmp_path):
    (tmp_path / "b.wav").write_bytes(riff(1, 8000, 8, b"\x80" * 64))
    with pytest.raises(AudioError, match="8-bit"):
        load_wav(tmp_path / "b.wav")


def test_empty_wav(tmp_path):
    with wave.open(str(tmp_path / "e.wav"), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
    with pytest.raises(AudioError, match="no audio samples"):
        load_wav(tmp_path / "e.wav")


def test_too_long_is_refused_before_reading(tmp_path):
    header = riff(1, 8000, 16, b"")[:-4] + struct.pack("<I", 8000 * 2 * 3600)  # claims one hour
    (tmp_path / "h.wav").write_bytes(header + b"\x00" * 8000 * 2 * 130)
    with pytest.raises(AudioError, match="longer than the 121 s limit"):
        load_wav(tmp_path / "h.wav")
    assert load_wav(tmp_path / "h.wav", max_seconds=200).seconds == pytest.approx(130)


def snr_db(reference: np.ndarray, actual: np.ndarray, margin: int = 100) -> float:
    error = actual[margin:-margin] - reference[margin:-margin]
    return 10 * np.log10(np.mean(reference[margin:-margin] ** 2) / np.mean(error**2))


@pytest.mark.parametrize("source, target, freq", [(8000, 16000, 1000), (8000, 16000, 3000), (16000, 8000, 1000),
                                                  (44100, 16000, 1000), (48000, 8000, 440)])
def test_resample_keeps_in_band_tones(source, target, freq):
    out = resample(tone(freq, source, 2.0), source, target)
    assert len(out) == 2 * target
    assert snr_db(tone(freq, target, 2.0), out) > 60  # measured 84-93 dB; linear interpolation gives 7-25 dB at 8->16k


def test_resample_removes_what_the_target_cannot_hold():
    out = resample(tone(6000, 16000, 2.0), 16000, 8000)  # 6 kHz would alias to 2 kHz at 8 kHz
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 1e-3


def test_stream_resampler_in_chunks_equals_one_go():
    signal = np.random.default_rng(0).standard_normal(20000).astype(np.float32) * 0.3
    resampler, parts, position = StreamResampler(8000, 16000), [], 0
    for size in [1, 7, 160, 3000, 999, 20000]:
        parts.append(resampler.push(signal[position : position + size]))
        position += size
    parts.append(resampler.flush())
    assert np.array_equal(np.concatenate(parts), resample(signal, 8000, 16000))


def test_silence_and_speech():
    rng = np.random.default_rng(1)
    line_noise = Audio.from_samples(rng.standard_normal(16000).astype(np.float32) * 0.001, 8000)  # ~-60 dBFS
    assert is_silent(line_noise)
    assert is_silent(Audio.from_samples(np.zeros(0), 8000))
    assert not is_silent(Audio.from_samples(tone(300, 8000, 2.0, 0.1), 8000))


def test_real_recording_is_not_silent(sherpa_model_dir):
    assert not is_silent(load_wav(sherpa_model_dir / "test_wavs" / "0.wav"))
