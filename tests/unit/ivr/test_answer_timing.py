"""AnswerTiming: the ring is what is left of the ring time after the pickup and Asterisk's recent lateness."""
import pytest

from ivr.answer_timing import AnswerTiming
from telephony.ami.message import Message


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def newstate(call_id: str, stamp: float, state: str = "6") -> Message:
    return Message({"Event": "Newstate", "ChannelState": state, "Timestamp": f"{stamp:.6f}",
                    "ChanVariable": [f"HOTLINE_CALL_ID={call_id}"]})


def test_a_quiet_node_rings_the_rest_of_the_ring_time():
    clock = Clock(1000.3)
    timing = AnswerTiming(1.0, clock=clock)
    assert timing.ring_for("a", arrived_at=1000.0) == pytest.approx(0.7)


def test_a_late_answer_shortens_the_next_calls_ring_so_they_are_answered_on_time():
    clock = Clock(1000.1)
    timing = AnswerTiming(1.0, window=20, clock=clock)
    assert timing.ring_for("a", arrived_at=1000.0) == pytest.approx(0.9)   # asked for 1001.0
    timing.on_newstate(newstate("a", 1001.6))                               # Asterisk answered 0.6 s late
    assert timing.lateness.worst() == pytest.approx(0.6)
    clock.now = 1005.1
    assert timing.ring_for("b", arrived_at=1005.0) == pytest.approx(0.3)   # 0.1 s pickup + 0.6 s lateness
    clock.now = 1010.5                                                      # later than the ring time: at once
    assert timing.ring_for("c", arrived_at=1010.0) == 0.0
    clock.now = 1030.2                                                      # the late answer left the window
    assert timing.ring_for("d", arrived_at=1030.0) == pytest.approx(0.8)


def test_only_answers_we_asked_for_count():
    clock = Clock(2000.0)
    timing = AnswerTiming(1.0, clock=clock)
    timing.ring_for("a", arrived_at=2000.0)
    timing.on_newstate(newstate("a", 2003.0, state="5"))         # ringing, not answered
    timing.on_newstate(newstate("other", 2009.0))                # a call-back leg, an agent's phone…
    timing.on_newstate(Message({"Event": "Newstate", "ChannelState": "6"}))   # no call id, no stamp
    assert timing.lateness.worst() == 0.0
    timing.forget("a")                                           # the caller hung up before the answer
    timing.on_newstate(newstate("a", 2009.0))
    assert timing.lateness.worst() == 0.0 and not timing._asked


def test_an_answer_without_a_usable_stamp_is_dropped():
    timing = AnswerTiming(1.0, clock=Clock(10.0))
    timing.ring_for("a", arrived_at=10.0)
    timing.on_newstate(Message({"Event": "Newstate", "ChannelState": "6", "Timestamp": "soon",
                                "ChanVariable": ["HOTLINE_CALL_ID=a"]}))
    assert timing.lateness.worst() == 0.0 and not timing._asked
