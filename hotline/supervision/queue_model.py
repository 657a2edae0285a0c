"""Live per-queue numbers built from Asterisk 22 app_queue AMI events. Pure: no I/O, time is passed in.

Events are Mapping-like with a `name` attribute (telephony.ami.message.Message) or an "Event" key.
Field names follow the Asterisk 22 AMI event docs (QueueCallerJoin/Leave/Abandon, AgentConnect,
AgentComplete, QueueMember*, and the QueueStatus reply: QueueParams, QueueMember, QueueEntry).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hotline.supervision.series import Series

# AST_DEVICE_* numbers in the Status field
UNKNOWN, NOT_INUSE, INUSE, BUSY, INVALID, UNAVAILABLE, RINGING, RINGINUSE, ONHOLD = range(9)
LOGGED_OUT = {INVALID, UNAVAILABLE}
HISTORY_SECONDS = 3600          # rolling counters are kept this long
RATE_WINDOWS = (60, 300, 900)   # arrival rate windows (1/5/15 min)
UNRESOLVED_LEAVE_S = 2.0        # a leave with neither connect nor abandon after this long was a timeout


def event_name(event: Mapping) -> str:
    return getattr(event, "name", None) or event.get("Event") or ""


def _int(event: Mapping, key: str, default: int = 0) -> int:
    try:
        return int(float(event.get(key) or default))
    except (TypeError, ValueError):
        return default


@dataclass
class Member:
    interface: str
    name: str = ""
    status: int = UNKNOWN
    paused: bool = False
    in_call: bool = False

    @property
    def logged_in(self) -> bool:
        return self.status not in LOGGED_OUT

    @property
    def busy(self) -> bool:
        return self.logged_in and (self.in_call or self.status in (INUSE, BUSY, RINGINUSE, ONHOLD))

    @property
    def available(self) -> bool:
        return self.logged_in and not self.paused and not self.busy and self.status in (NOT_INUSE, UNKNOWN)


@dataclass
class QueueState:
    name: str
    sl_seconds: float = 20.0
    waiting: dict[str, float] = field(default_factory=dict)       # uniqueid -> joined at (epoch)
    members: dict[str, Member] = field(default_factory=dict)      # interface -> member
    # per-second buckets (hotline.supervision.series): O(1) window reads however busy the queue
    joins: Series = field(default_factory=Series)                 # joined at
    answers: Series = field(init=False)                           # hold time s; marked: within sl_seconds
    abandons: Series = field(default_factory=Series)              # hold time s
    timeouts: Series = field(default_factory=Series)              # hold time s — left unanswered
    talks: Series = field(default_factory=lambda: Series(lambda talk: talk > 0))   # talk time s
    ring_no_answer: Series = field(default_factory=Series)
    left: dict[str, tuple[float, float]] = field(default_factory=dict)  # uid -> (left at, waited) pending
    resolved: set[str] = field(default_factory=set)               # uids answered/abandoned, awaiting leave

    def __post_init__(self) -> None:
        self.answers = Series(lambda hold: hold <= self.sl_seconds)

    def trim(self, now: float) -> None:
        horizon = now - HISTORY_SECONDS
        for series in (self.joins, self.answers, self.abandons, self.timeouts, self.talks, self.ring_no_answer):
            series.trim(horizon)
        for uid, (left_at, waited) in list(self.left.items()):
            if now - left_at >= UNRESOLVED_LEAVE_S:
                del self.left[uid]
                self.timeouts.append(left_at, waited)


class QueueModel:
    """All queues' live state; `apply(event, now)` returns the queue name it changed (or None)."""

    def __init__(self, queues: Iterable[str] = (), sl_seconds: float = 20.0,
                 aliases: Mapping[str, str] | None = None) -> None:
        self.sl_seconds = sl_seconds
        # Asterisk app_queue name -> our route name (hotline-tourism -> tourism)
        self.aliases = dict(aliases or {})
        self.queues: dict[str, QueueState] = {q: QueueState(q, sl_seconds) for q in queues}
        self._handlers = {
            "QueueCallerJoin": self._join, "QueueCallerLeave": self._leave,
            "QueueCallerAbandon": self._abandon, "AgentConnect": self._connect,
            "AgentComplete": self._complete, "AgentRingNoAnswer": self._ring_no_answer,
            "QueueMemberStatus": self._member, "QueueMemberPause": self._member,
            "QueueMemberAdded": self._member, "QueueMemberPenalty": self._member,
            "QueueMemberRinginuse": self._member, "QueueMemberRemoved": self._member_removed,
        }

    def queue(self, name: str) -> QueueState:
        if name not in self.queues:
            self.queues[name] = QueueState(name, self.sl_seconds)
        return self.queues[name]

    def apply(self, event: Mapping, now: float) -> str | None:
        handler = self._handlers.get(event_name(event))
        queue_name = self._queue_of(event)
        if handler is None or not queue_name:
            return None
        state = self.queue(queue_name)
        handler(state, event, now)
        return queue_name

    def _queue_of(self, event: Mapping) -> str | None:
        name = event.get("Queue")
        return self.aliases.get(name, name) if name else None

    # -- live events --------------------------------------------------------------------------
    def _join(self, q: QueueState, e: Mapping, now: float) -> None:
        uid = e.get("Uniqueid") or f"anon-{now}"
        if uid not in q.waiting:
            q.waiting[uid] = now
            q.joins.append(now)

    def _leave(self, q: QueueState, e: Mapping, now: float) -> None:
        uid = e.get("Uniqueid")
        joined = q.waiting.pop(uid, None)
        if uid in q.resolved:
            q.resolved.discard(uid)
        elif joined is not None:
            q.left[uid] = (now, now - joined)

    def _resolve(self, q: QueueState, uid: str | None) -> None:
        """The caller's fate is known: no timeout will be counted for this leave."""
        if uid in q.left:
            del q.left[uid]
        elif uid in q.waiting:
            del q.waiting[uid]
            q.resolved.add(uid)

    def _abandon(self, q: QueueState, e: Mapping, now: float) -> None:
        uid = e.get("Uniqueid")
        q.abandons.append(now, _int(e, "HoldTime"))
        self._resolve(q, uid)

    def _connect(self, q: QueueState, e: Mapping, now: float) -> None:
        uid = e.get("Uniqueid")
        q.answers.append(now, _int(e, "HoldTime"))
        self._resolve(q, uid)
        member = q.members.get(e.get("Interface") or "")
        if member:
            member.in_call = True

    def _complete(self, q: QueueState, e: Mapping, now: float) -> None:
        q.talks.append(now, _int(e, "TalkTime"))
        member = q.members.get(e.get("Interface") or "")
        if member:
            member.in_call = False

    def _ring_no_answer(self, q: QueueState, e: Mapping, now: float) -> None:
        q.ring_no_answer.append(now)

    def _member(self, q: QueueState, e: Mapping, now: float) -> None:
        interface = e.get("Interface") or e.get("Location") or ""
        if not interface:
            return
        member = q.members.setdefault(interface, Member(interface))
        member.name = e.get("MemberName") or e.get("Name") or member.name or interface
        member.status = _int(e, "Status", member.status)
        if e.get("Paused") is not None:
            member.paused = str(e.get("Paused")) == "1"
        if e.get("InCall") is not None:
            member.in_call = str(e.get("InCall")) == "1"

    def _member_removed(self, q: QueueState, e: Mapping, now: float) -> None:
        q.members.pop(e.get("Interface") or e.get("Location") or "", None)

    # -- reconciliation -------------------------------------------------------------------------
    def reconcile(self, status_events: Iterable[Mapping], now: float, full_reset: bool = False) -> set[str]:
        """Apply a QueueStatus reply: members and waiting callers become what Asterisk reports.

        Callers we already track keep our (more precise) join time. `full_reset` (after an AMI
        reconnect) also forgets pending leaves, whose outcome events may have been lost.
        Returns the queues whose numbers changed."""
        members: dict[str, dict[str, Member]] = {}
        waiting: dict[str, dict[str, float]] = {}
        for e in status_events:
            name, queue_name = event_name(e), self._queue_of(e)
            if not queue_name:
                continue
            if name == "QueueParams":
                members.setdefault(queue_name, {})
                waiting.setdefault(queue_name, {})
            elif name == "QueueMember":
                scratch = QueueState(queue_name)
                self._member(scratch, e, now)
                members.setdefault(queue_name, {}).update(scratch.members)
            elif name == "QueueEntry":
                uid = e.get("Uniqueid") or e.get("Channel") or f"entry-{e.get('Position')}"
                waiting.setdefault(queue_name, {})[uid] = now - _int(e, "Wait")
        changed = set()
        for queue_name in members.keys() | waiting.keys():
            q = self.queue(queue_name)
            new_waiting = {uid: q.waiting.get(uid, joined) for uid, joined in waiting.get(queue_name, {}).items()}
            new_members = members.get(queue_name, {})
            if new_waiting.keys() != q.waiting.keys() or new_members != q.members:
                changed.add(queue_name)
            q.waiting, q.members = new_waiting, new_members
            if full_reset:
                q.left.clear()
                q.resolved.clear()
        return changed

    def summary_mismatch(self, summary_events: Iterable[Mapping]) -> set[str]:
        """Queues whose QueueSummary (Callers, LoggedIn, Available) disagrees with the model."""
        wrong = set()
        for e in summary_events:
            queue_name = self._queue_of(e)
            if event_name(e) != "QueueSummary" or not queue_name:
                continue
            snap = self.snapshot(queue_name, now=None)
            if (_int(e, "Callers"), _int(e, "LoggedIn")) != (snap["callers_waiting"], snap["agents_logged_in"]):
                wrong.add(queue_name)
        return wrong

    # -- numbers ----------------------------------------------------------------------------------
    def tick(self, now: float) -> None:
        for q in self.queues.values():
            q.trim(now)

    def snapshot(self, name: str, now: float | None, window_s: float = 900) -> dict:
        q = self.queue(name)
        members = list(q.members.values())
        live = {
            "queue": name,
            "callers_waiting": len(q.waiting),
            "agents_logged_in": sum(m.logged_in for m in members),
            "agents_available": sum(m.available for m in members),
            "agents_busy": sum(m.busy for m in members),
            "agents_paused": sum(m.logged_in and m.paused for m in members),
        }
        if now is None:
            return live
        return live | {"longest_wait_s": round(self.longest_wait(name, now), 1)} | self.window_stats(name, now, window_s)

    def longest_wait(self, name: str, now: float) -> float:
        return max((now - t for t in self.queue(name).waiting.values()), default=0.0)

    def late_waiting(self, name: str, now: float) -> int:
        """Callers still waiting past the service-level target: already misses."""
        return sum(1 for t in self.queue(name).waiting.values() if now - t > self.sl_seconds)

    def window_stats(self, name: str, now: float, window_s: float) -> dict:
        q = self.queue(name)
        answers, talks = q.answers.window(now, window_s), q.talks.window(now, window_s)
        abandoned, timed_out = q.abandons.window(now, window_s).count, q.timeouts.window(now, window_s).count
        late_waiting = self.late_waiting(name, now)
        finished = answers.count + abandoned + timed_out
        return {
            "window_s": window_s,
            "offered": q.joins.window(now, window_s).count,
            "answered": answers.count,
            "abandoned": abandoned,
            "timed_out": timed_out,
            "service_level": _pct(answers.marked, finished + late_waiting),
            "answer_rate": _pct(answers.count, finished),
            "abandon_rate": _pct(abandoned, finished),
            "aht_s": round(talks.total / talks.count, 1) if talks.count else None,
            "asa_s": round(answers.total / answers.count, 1) if answers.count else None,
            "arrival_rate_per_min": {f"{w // 60}m": round(self.arrival_rate(name, now, w) * 60, 3)
                                     for w in RATE_WINDOWS},
        }

    def arrival_rate(self, name: str, now: float, window_s: float) -> float:
        """Joins per second over the last `window_s` seconds."""
        return self.queue(name).joins.window(now, window_s).count / window_s


def _pct(part: int, whole: int) -> float | None:
    """Percent with one decimal; None when there is nothing to measure (no calls, no verdict)."""
    return round(100.0 * part / whole, 1) if whole else None
