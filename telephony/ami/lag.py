"""How late AMI events reach us: arrival time minus Asterisk's own `Timestamp` (manager.conf timestampevents)."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class EventLag:
    """The worst lag over the last `window` seconds. At 1,000 calls on a node short of CPU, calls were picked up
    seconds after Asterisk stamped their AsyncAGIStart while Asterisk itself was on time (docs/decisions.md,
    "Capacity of one node"): this is the number that tells an operator so."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self.window, self.clock = window, clock
        self._worst: deque[tuple[float, float]] = deque()   # (seen at, lag), lags falling: a monotonic queue

    def observe(self, timestamp: str | None) -> float | None:
        """The lag in seconds of an event with this `Timestamp` header (None without a usable one)."""
        try:
            stamped = float(timestamp or "")
        except ValueError:
            return None
        return self.add(self.clock() - stamped)

    def add(self, lag: float) -> float:
        """A lag measured elsewhere (negative counts as none)."""
        now, lag = self.clock(), max(0.0, lag)
        while self._worst and self._worst[-1][1] <= lag:
            self._worst.pop()
        self._worst.append((now, lag))
        return lag

    def worst(self) -> float:
        """The highest lag seen in the window (0.0 when none)."""
        horizon = self.clock() - self.window
        while self._worst and self._worst[0][0] < horizon:
            self._worst.popleft()
        return self._worst[0][1] if self._worst else 0.0
