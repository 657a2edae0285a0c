"""Ports and media for SIPp: free UDP ports, a WAV or a key press as RTP in a pcap for play_pcap_audio."""
from __future__ import annotations

import random
import shutil
import socket
import struct
import subprocess
from pathlib import Path

from telephony.sipp.process import SippError


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_media_port() -> int:
    """An even port with the next three free too (SIPp may open RTP/RTCP for audio and video)."""
    for _ in range(200):
        port = random.randrange(40000, 60000, 2)
        if all(_udp_free(port + i) for i in range(4)):
            return port
    raise SippError("no free media port pair found between 40000 and 60000")


def _rtp_packet(seq: int, timestamp: int, ssrc: int, payload: bytes, marker: bool, payload_type: int = 0) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, seq & 0xFFFF, timestamp & 0xFFFFFFFF,
                      ssrc)
    udp = struct.pack("!HHHH", 40000, 40000, 8 + len(rtp) + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(rtp) + len(payload), seq & 0xFFFF, 0, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    return b"\0" * 12 + b"\x08\x00" + ip + udp + rtp + payload


def wav_to_pcap(wav: Path, pcap: Path) -> float:
    """Any WAV → 8 kHz mono mu-law RTP (PT 0, 20 ms packets) in a pcap for play_pcap_audio. Returns seconds."""
    if shutil.which("sox") is None:
        raise SippError("sox is missing: run `sudo apt-get install sox`")
    result = subprocess.run(["sox", str(wav), "-t", "raw", "-r", "8000", "-c", "1", "-e", "mu-law", "-"],
                            capture_output=True, timeout=60)
    if result.returncode != 0:
        raise SippError(f"sox cannot convert {wav}: {result.stderr.decode(errors='replace').strip()}")
    audio, ssrc = result.stdout, random.getrandbits(32)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for n, start in enumerate(range(0, len(audio), 160)):
        packet = _rtp_packet(n, start, ssrc, audio[start:start + 160].ljust(160, b"\xff"), marker=n == 0)
        sec, usec = divmod(n * 20000, 1_000_000)
        out += struct.pack("<IIII", sec, usec, len(packet), len(packet)) + packet
    pcap.write_bytes(bytes(out))
    return len(audio) / 8000



DTMF_EVENTS = {**{d: int(d) for d in "0123456789"}, "*": 10, "#": 11}


def dtmf_to_pcap(digit: str, pcap: Path, event_number: int) -> None:
    """One RFC 4733 key press (PT 101, 280 ms) as RTP in a pcap for play_pcap_audio.

    Not the stock /usr/share/sip-tester captures: their sequence numbers are fixed per digit, so a second
    key whose capture has lower numbers (9 after *) is dropped by Asterisk as an old packet. Here each
    press of a call gets higher sequence numbers and a later timestamp than the one before.
    """
    base_seq, base_ts, ssrc = event_number * 1000, event_number * 80_000, 0x4854_4C4E
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    durations = [160 * (i + 1) for i in range(14)] + [160 * 14] * 2  # 14 x 20 ms, end packet sent 3 times
    for i, duration in enumerate(durations + [durations[-1]]):
        end = i >= 14
        payload = struct.pack("!BBH", DTMF_EVENTS[digit], (0x80 if end else 0) | 10, duration)
        packet = _rtp_packet(base_seq + i, base_ts, ssrc, payload, marker=i == 0, payload_type=101)
        sec, usec = divmod(min(i, 14) * 20000 + (i - 14 if end else 0) * 100, 1_000_000)
        out += struct.pack("<IIII", sec, usec, len(packet), len(packet)) + packet
    pcap.write_bytes(bytes(out))
