"""The ring gives way when Asterisk runs late: each call is answered at its arrival + the ring time if possible.

Asterisk runs the answer batch late at a busy hour (the AGI action waits behind other AMI work, then the AsyncAGI
poll, then PJSIP's serializer sends the 200 OK): ~0.1 s on a quiet node, p99 ~1 s at 1,000 calls on 2 cores
(docs/performance.md, capacity). A fixed ring then pushed the answer past 2 s. Here each call rings for what is
left of `ring_seconds` after its pickup *and* after the worst lateness of the last `window` seconds, measured
from the answer's own Newstate(Up) stamp against when we asked for it. Asterisk stamps that event when its
manager formats it, at a busy hour a little after the answer: the lateness then errs high and the ring short,
the safe side of the 2 s.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from ivr.events import call_id_of
from telephony.ami.lag import EventLag

LATENESS_WINDOW_SECONDS = 20.0   # one busy burst shortens the ring for this long
UP = "6"                          # ChannelState of an answered channel


class AnswerTiming:
    def __init__(self, ring_seconds: float, window: float = LATENESS_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.ring_seconds, self.clock = ring_seconds, clock
        self.lateness = EventLag(window, clock)   # answer stamp − when we asked for it, worst in the window
        self._asked: dict[str, float] = {}       # call id → when the answer should happen

    def ring_for(self, call_id: str, arrived_at: float) -> float:
        """Seconds the caller should still ring, from now; remembered to measure this answer's lateness."""
        now = self.clock()
        ring = max(0.0, self.ring_seconds - (now - arrived_at) - self.lateness.worst())
        self._asked[call_id] = now + ring
        return ring

    def on_newstate(self, event) -> None:
        """AMI Newstate: an answer we asked for, with Asterisk's own Timestamp (manager.conf timestampevents)."""
        if event.get("ChannelState") != UP:
            return
        asked = self._asked.pop(call_id_of(event) or "", None)
        try:
            answered = float(event.get("Timestamp") or "")
        except ValueError:
            return
        if asked is not None:
            self.lateness.add(answered - asked)

    def forget(self, call_id: str) -> None:
        """The call left the flow (answered or not): nothing more to measure."""
        self._asked.pop(call_id, None)
