"""Time-stamped values in per-second buckets with a running total per window length. Pure: time is passed in.

Rules, the wallboard and staffing ask for the last 1/5/15 minutes on every tick; scanning every call of a busy
queue's window each time cost the controller ~14% of its loop at 500 concurrent calls (docs/performance.md).
Here adding a value and reading a window cost O(1) amortised: each window keeps its sums and the index of its
oldest bucket, and only buckets that fall out of it since the last read are subtracted. Resolution: a value
stamped t counts in a window [now - w, now] when int(t) >= now - w (to the second).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Totals:
    count: int = 0
    total: float = 0.0
    marked: int = 0       # values the series' predicate marks (answers within the SL target, non-zero talks)


class _Window:
    __slots__ = ("first", "since", "count", "total", "marked")

    def __init__(self, first: int, since: float) -> None:
        self.first, self.since = first, since      # absolute index of its oldest bucket; its last lower bound
        self.count, self.total, self.marked = 0, 0.0, 0

    def add(self, count: int, total: float, marked: int) -> None:
        self.count += count
        self.total += total
        self.marked += marked


class Series:
    def __init__(self, mark: Callable[[float], bool] | None = None) -> None:
        self.mark = mark
        self.buckets: deque[list] = deque()        # [second, count, total, marked], oldest first
        self.dropped = 0                           # buckets trimmed so far: absolute index = dropped + position
        self._windows: dict[float, _Window] = {}

    def __len__(self) -> int:
        return sum(b[1] for b in self.buckets)

    def append(self, t: float, value: float = 0.0) -> None:
        """Add a value stamped `t`; a stamp older than the newest bucket (a timeout is decided 2 s after the
        leave) goes into its own second's bucket, inserted near the end if needed."""
        second, marked = int(t), int(bool(self.mark and self.mark(value)))
        position = len(self.buckets)
        while position > 0 and self.buckets[position - 1][0] > second:
            position -= 1                                  # only late stamps walk back, a few buckets at most
        if position and self.buckets[position - 1][0] == second:
            self._add_to(position - 1, value, marked)
            return
        self.buckets.insert(position, [second, 0, 0.0, 0])
        index = self.dropped + position
        for window in self._windows.values():       # buckets from `index` on moved one place up
            if index <= window.first:
                if second >= window.since:
                    window.first = index
                else:
                    window.first += 1
        self._add_to(position, value, marked)

    def _add_to(self, position: int, value: float, marked: int) -> None:
        bucket = self.buckets[position]
        bucket[1] += 1
        bucket[2] += value
        bucket[3] += marked
        index = self.dropped + position
        for window in self._windows.values():
            if index >= window.first:
                window.add(1, value, marked)

    def trim(self, horizon: float) -> None:
        """Forget buckets older than `horizon` (windows that still held them rebuild on their next read)."""
        while self.buckets and self.buckets[0][0] < horizon:
            self.buckets.popleft()
            self.dropped += 1

    def window(self, now: float, window_s: float) -> Totals:
        """Count, sum and marked count of the values stamped in [now - window_s, now], to the second."""
        since = now - window_s
        w = self._windows.get(window_s)
        if w is None or since < w.since or w.first < self.dropped:
            w = self._windows[window_s] = self._rebuild(since)
        end = self.dropped + len(self.buckets)
        while w.first < end and self.buckets[w.first - self.dropped][0] < since:
            _, count, total, marked = self.buckets[w.first - self.dropped]
            w.add(-count, -total, -marked)
            w.first += 1
        w.since = since
        return Totals(w.count, w.total, w.marked)

    def _rebuild(self, since: float) -> _Window:
        """Once per window length (and after time went backwards): a full scan."""
        w = _Window(self.dropped + len(self.buckets), since)
        for position, (second, count, total, marked) in enumerate(self.buckets):
            if second >= since:
                w.first = min(w.first, self.dropped + position)
                w.add(count, total, marked)
        return w
