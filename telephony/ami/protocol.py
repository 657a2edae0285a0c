"""AMI wire format: an incremental parser (bytes in, messages out) and the action encoder.

The parser never raises on input: undecodable bytes become U+FFFD, lines that are not
`Key: value` are logged and skipped, frames without Event/Response are logged and dropped.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from hotline.core.logging import log_event
from telephony.ami.message import Message

log = logging.getLogger("telephony.ami.protocol")

_GREETING = b"Asterisk Call Manager/"
_FOLLOWS = b"Response: Follows"
_END_COMMAND = "--END COMMAND--"
_MAX_PENDING = 16 * 1024 * 1024  # an unterminated frame this big is garbage, not AMI
# a legacy `Response: Follows` frame waits for --END COMMAND-- at most this long / this many bytes; then it
# ends at its first blank line, so one frame without the marker cannot hold back every later event
MAX_FOLLOWS_BYTES = 1024 * 1024
MAX_FOLLOWS_SECONDS = 5.0


class FrameParser:
    """Feed it whatever the socket returned; get back every frame completed so far."""

    def __init__(self, frame_keys: tuple[str, ...] = ("Event", "Response"),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._frame_keys = frame_keys  # a frame without any of these is dropped
        self._clock = clock
        self._follows_since: float | None = None  # when the open Follows frame began waiting for its marker
        self._marker_scan = 0  # bytes of the open Follows frame already searched for --END COMMAND--
        self._buf = bytearray()
        self._scan_from = 0  # bytes already searched for a frame end in the pending tail
        self._greeting_done = False
        self._eol: str | None = None  # "\r\n" (Asterisk) or "\n", fixed by the first line seen
        self._frame_end = b""
        self.greeting: str | None = None
        self.skipped_lines = 0

    @property
    def version(self) -> str | None:
        """AMI protocol version from the greeting line ("Asterisk Call Manager/11.0.0" -> "11.0.0")."""
        return self.greeting.split("/", 1)[1] if self.greeting else None

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf
        buf += data
        if not self._greeting_done and not self._take_greeting():
            return []
        if self._eol is None and not self._detect_eol():
            return []
        messages: list[Message] = []
        pos = 0
        search_at = self._scan_from
        frame_end, end_len = self._frame_end, len(self._frame_end)
        while (end := buf.find(frame_end, search_at)) >= 0:
            next_pos = end + end_len
            legacy = buf.startswith(_FOLLOWS, pos)
            if legacy:
                # legacy command output may hold blank lines; it ends at --END COMMAND--
                found = self._follows_end(pos)
                if found is None and not self._follows_overdue(pos):
                    break
                end, next_pos = found or self._cut_follows(pos)
                legacy = found is not None
            message = self._parse_frame(buf[pos:end].decode("utf-8", "replace"), legacy)
            if message is not None:
                messages.append(message)
            pos = search_at = next_pos
        if pos:
            del buf[:pos]
            self._marker_scan = max(0, self._marker_scan - pos)
        if len(buf) > _MAX_PENDING:
            log_event(log, "ami unterminated frame dropped", logging.ERROR, size=len(buf))
            buf.clear()
            self._follows_since, self._marker_scan = None, 0
        self._scan_from = max(0, len(buf) - end_len + 1)
        return messages

    def _take_greeting(self) -> bool:
        buf = self._buf
        head = bytes(buf[: len(_GREETING)])
        if _GREETING.startswith(head) and len(head) < len(_GREETING):
            return False  # could still become the greeting
        if head == _GREETING:
            newline = buf.find(b"\n")
            if newline < 0:
                return False
            self.greeting = buf[:newline].decode("utf-8", "replace").strip()
            self._set_eol("\r\n" if buf[newline - 1:newline] == b"\r" else "\n")
            del buf[: newline + 1]
        self._greeting_done = True
        return True

    def _detect_eol(self) -> bool:
        newline = self._buf.find(b"\n")
        if newline < 0:
            return False
        self._set_eol("\r\n" if self._buf[newline - 1:newline] == b"\r" else "\n")
        return True

    def _set_eol(self, eol: str) -> None:
        self._eol = eol
        self._frame_end = (eol * 2).encode()

    def _follows_end(self, pos: int) -> tuple[int, int] | None:
        """Where the Follows frame at `pos` ends, searching each byte for the marker once (not per feed)."""
        marker_bytes = _END_COMMAND.encode()
        marker = self._buf.find(marker_bytes, max(pos, self._marker_scan))
        end = self._buf.find(self._frame_end, marker) if marker >= 0 else -1
        if end < 0:
            self._marker_scan = marker if marker >= 0 else max(pos, len(self._buf) - len(marker_bytes) + 1)
            if self._follows_since is None:
                self._follows_since = self._clock()
            return None
        self._follows_since, self._marker_scan = None, 0
        return end, end + len(self._frame_end)

    def _follows_overdue(self, pos: int) -> bool:
        since = self._follows_since
        waited = 0.0 if since is None else self._clock() - since
        return len(self._buf) - pos > MAX_FOLLOWS_BYTES or waited > MAX_FOLLOWS_SECONDS

    def _cut_follows(self, pos: int) -> tuple[int, int]:
        """Give up waiting for --END COMMAND--: the frame ends at its first blank line."""
        end = self._buf.find(self._frame_end, pos)
        log_event(log, "ami Response: Follows without --END COMMAND-- cut at its first blank line",
                  logging.WARNING, waited_bytes=len(self._buf) - pos)
        self._follows_since, self._marker_scan = None, 0
        return end, end + len(self._frame_end)

    def _parse_frame(self, text: str, legacy: bool = False) -> Message | None:
        if legacy:
            headers = self._parse_follows(text)
        else:
            headers = {}
            for line in text.split(self._eol):
                key, sep, value = line.partition(": ")
                if sep and key and " " not in key:  # the fast path: nearly every line
                    if key in headers:
                        _add(headers, key, value)
                    else:
                        headers[key] = value
                elif line:
                    self._odd_line(headers, line)
        if not any(key in headers for key in self._frame_keys):
            if headers:
                log_event(log, "ami frame without Event/Response dropped", logging.WARNING,
                          keys=sorted(headers)[:10])
            return None
        return Message(headers)

    def _odd_line(self, headers: dict, line: str) -> None:
        """`Key:` without a space is fine; anything else that is not `Key: value` is skipped."""
        line = line.rstrip("\r")
        key, sep, value = line.partition(":")
        if sep and key and " " not in key:
            _add(headers, key, value[1:] if value.startswith(" ") else value)
        elif line:
            self.skipped_lines += 1
            log_event(log, "ami malformed line skipped", logging.WARNING, line=line[:200])

    def _parse_follows(self, text: str) -> dict:
        """Legacy `Response: Follows`: CRLF headers, then raw output lines ending in a bare LF."""
        headers: dict[str, str | list[str]] = {}
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if index and not line.endswith("\r"):
                _add(headers, "Output", _command_output(lines[index:]))
                break
            self._odd_line(headers, line)
        return headers


def _add(headers: dict, key: str, value) -> None:
    if key not in headers:
        headers[key] = value
        return
    current = headers[key]
    if not isinstance(current, list):
        current = headers[key] = [current]
    current.extend(value) if isinstance(value, list) else current.append(value)


def _command_output(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = line.rstrip("\r")
        if line.endswith(_END_COMMAND):
            line = line[: -len(_END_COMMAND)]
            if line:
                out.append(line)
            break
        out.append(line)
    return out


def encode_action(name: str, action_id: str, fields: Mapping[str, object] | None = None) -> bytes:
    """One action frame. A list/tuple value repeats the header (e.g. Variable=[...]); None is left out.

    Raises ValueError on CR/LF inside a key or value: that would inject extra headers.
    """
    parts = [f"Action: {_clean('Action', name)}\r\nActionID: {_clean('ActionID', action_id)}\r\n"]
    for key, value in (fields or {}).items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else (value,)
        for item in values:
            parts.append(f"{key}: {_clean(key, item)}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")


def _clean(key: str, value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if "\n" in text or "\r" in text or "\n" in key or "\r" in key:   # plain tests: every header of every action
        raise ValueError(f"AMI header {key!r} must not contain CR or LF")
    return text


def iter_frames(chunks: Iterable[bytes]) -> Iterable[Message]:
    """Parse an iterable of byte chunks (a recorded stream, a file read in blocks)."""
    parser = FrameParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
