"""What a SIPp caller heard: the RTP that reaches its media port on the loopback interface, captured with a
raw packet socket (Linux, root) and decoded from G.711 mu-law. Independent of Asterisk's own reports: it is the
audio on the wire.

    with RtpTap(media_port) as tap: ...call...
    samples = tap.audio()        # float samples at 8 kHz, in RTP sequence order
"""
from __future__ import annotations

import socket
import struct
import threading

import numpy as np

ETH_P_ALL, PACKET_OUTGOING = 0x0003, 4   # loopback shows each packet twice: as sent and as received


def ulaw_to_float(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, dtype=np.uint8)
    exponent, mantissa = (u >> 4) & 7, (u & 0x0F).astype(np.int32)
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.float64) / 32768


class RtpTap:
    def __init__(self, port: int, payload_type: int = 0):
        self.port, self.payload_type = port, payload_type
        self.packets: list[tuple[int, bytes]] = []   # (extended sequence number, payload)
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RtpTap:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _run(self) -> None:
        last, raw = 0, None
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            if address[2] == PACKET_OUTGOING or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            header = (ip[0] & 0x0F) * 4
            if ip[9] != 17 or struct.unpack("!H", ip[header + 2:header + 4])[0] != self.port:
                continue
            rtp = ip[header + 8:]
            if len(rtp) < 12 or rtp[0] >> 6 != 2 or rtp[1] & 0x7F != self.payload_type:
                continue
            seq = struct.unpack("!H", rtp[2:4])[0]
            step = 0 if raw is None else (seq - raw) & 0xFFFF
            last, raw = last + (step - 0x10000 if step >= 0x8000 else step), seq   # across the 16-bit wrap
            self.packets.append((last, rtp[12 + 4 * (rtp[0] & 0x0F):]))

    def audio(self) -> np.ndarray:
        ordered = sorted(self.packets)
        return ulaw_to_float(b"".join(payload for _, payload in ordered)) if ordered else np.zeros(0)
