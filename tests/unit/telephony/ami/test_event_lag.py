"""EventLag: the worst arrival delay behind Asterisk's Timestamp over a sliding window."""
from telephony.ami.lag import EventLag


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_worst_lag_of_the_window_is_kept_until_it_falls_out():
    clock = Clock(1000.0)
    lag = EventLag(window=60, clock=clock)
    assert lag.worst() == 0.0
    assert lag.observe("998.5") == 1.5
    clock.now = 1010.0
    assert abs(lag.observe("1009.8") - 0.2) < 1e-9
    assert lag.worst() == 1.5
    clock.now = 1065.0                      # the 1.5 s event is older than the window now
    assert abs(lag.worst() - 0.2) < 1e-9
    clock.now = 1071.0
    assert lag.worst() == 0.0


def test_events_without_a_usable_stamp_are_not_counted():
    lag = EventLag(clock=Clock(50.0))
    assert lag.observe(None) is None and lag.observe("soon") is None
    assert lag.observe("60.0") == 0.0      # a clock behind Asterisk's: no negative lag
    assert lag.worst() == 0.0


def test_a_lag_measured_elsewhere_counts_like_an_observed_one():
    clock = Clock(100.0)
    lag = EventLag(window=10, clock=clock)
    assert lag.add(0.7) == 0.7 and lag.add(-0.2) == 0.0
    assert lag.worst() == 0.7
    clock.now = 111.0
    assert lag.worst() == 0.0
