"""The soak's invariants, read from Redis (journals, tickets), Asterisk (queue_log, channels) and the disk
(recordings) once the system has settled. Definitions: docs/reliability.md."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hotline.core.config import Settings
from hotline.tickets import store
from ivr.journal import CALLS, call_key, journal_key

FINISHED = ("done", "no_speech")                 # a transcript (no_speech: the engine heard nobody)


@dataclass
class CallFacts:
    journals: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    queued: bool = False          # queue_log ENTERQUEUE or the journal's queue join
    recordings: list[Path] = field(default_factory=list)


@dataclass
class Report:
    placed: int = 0
    answered: int = 0
    unanswered_restart: int = 0      # no 200 OK, INVITE sent while Asterisk restarted
    journaled: int = 0
    needs_ticket: int = 0
    ticketed: int = 0
    extra_ticketed: int = 0          # ticketed though neither queued nor recorded (chose a line, then cut)
    journal_only: int = 0
    reached_agent: int = 0
    recordings: int = 0
    transcribed: int = 0
    failed_with_reason: int = 0
    cut_by_restart: int = 0
    cut_by_restart_ticketed: int = 0
    lost: dict[str, list[str]] = field(default_factory=dict)   # reason → caller ids
    duplicates: list[str] = field(default_factory=list)
    stuck_channels: int = 0
    driver_errors: int = 0
    intakes: Counter = field(default_factory=Counter)

    @property
    def lost_count(self) -> int:
        return len({c for callers in self.lost.values() for c in callers})

    def lose(self, reason: str, who: str) -> None:
        self.lost.setdefault(reason, []).append(who)


def queue_log_callers(settings: Settings, since: float) -> set[str]:
    """Caller numbers of ENTERQUEUE lines since `since`: Asterisk's own word that a call reached a queue."""
    found: set[str] = set()
    log_dir = settings.host_path(settings.pbx_instance_dir / "log")
    for path in (log_dir / "queue_log.0", log_dir / "queue_log"):
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split("|")
            if len(parts) > 6 and parts[4] == "ENTERQUEUE" and parts[0].isdigit() and int(parts[0]) >= since:
                found.add(parts[6])
    return found


def gather(r, settings: Settings, callers: set[str], since: float) -> tuple[dict[str, CallFacts], list[str]]:
    """Per caller id: its journals, tickets, queue join and recordings; and orphan recordings (on disk since
    `since`, no ticket for their call)."""
    facts = {c: CallFacts() for c in callers}
    ids = r.zrangebyscore(CALLS, since - 120, "+inf")
    pipe = r.pipeline(transaction=False)
    for call_id in ids:
        pipe.hgetall(call_key(call_id))
        pipe.lrange(journal_key(call_id), 0, -1)
    replies = pipe.execute()
    recordings = settings.host_path(settings.pbx_instance_dir / "recordings")
    for call_id, summary, events in zip(ids, replies[::2], replies[1::2], strict=True):
        if summary.get("caller") not in facts:
            continue
        call = {**summary, "events": [json.loads(e) for e in events]}
        entry = facts[summary["caller"]]
        entry.journals.append(call)
        entry.queued |= bool(summary.get("queue")) or any(e["event"] == "queue_join" for e in call["events"])
        wav = recordings / f"{call_id}.wav"
        if wav.exists():
            entry.recordings.append(wav)
    for caller in queue_log_callers(settings, since) & callers:
        facts[caller].queued = True
    for caller, entry in facts.items():
        ticket_ids = r.zrange(store.CALLER_KEY.format(caller=caller), 0, -1)
        bodies = r.mget([store.TICKET_KEY.format(ticket_id=t) for t in ticket_ids]) if ticket_ids else []
        entry.tickets = [json.loads(b) for b in bodies if b]
    orphans = [wav.name for wav in recordings.glob("*.wav") if wav.stat().st_mtime >= since
               and not r.exists(store.BY_CALL_KEY.format(call_id=wav.stem))]
    return facts, orphans


def in_windows(t0: float, t1: float, windows: list[tuple[float, float]]) -> bool:
    return any(t0 <= end and t1 >= start for start, end in windows)


def check(r, settings: Settings, placed, since: float, restarts: list[tuple[float, float]],
          stuck_channels: int) -> Report:
    facts, orphans = gather(r, settings, {c.caller_id for c in placed}, since)
    rep = Report(placed=len(placed), stuck_channels=stuck_channels)
    for call in placed:
        f, who = facts[call.caller_id], call.caller_id
        rep.driver_errors += bool(call.error)
        cut = call.answered and in_windows(call.invite_at, call.ended_at, restarts)
        if not call.answered:
            if in_windows(call.invite_at, call.invite_at + 40, restarts):
                rep.unanswered_restart += 1
            elif not call.error:
                rep.lose("not answered while Asterisk was up", who)
            continue
        rep.answered += 1
        rep.journaled += bool(f.journals)
        if not f.journals:
            rep.lose("answered, no journal", who)
        rep.reached_agent += any(j.get("agent") for j in f.journals)
        needs = f.queued or bool(f.recordings)
        rep.needs_ticket += needs
        rep.ticketed += needs and bool(f.tickets)
        rep.extra_ticketed += (not needs) and bool(f.tickets)
        rep.journal_only += bool(f.journals) and not f.tickets
        if needs and not f.tickets:
            rep.lose("queued or recorded, no ticket", who)
        if len(f.tickets) > 1:
            rep.duplicates.append(who)
        rep.intakes.update(t.get("intake", "menu") for t in f.tickets)
        rep.cut_by_restart += cut
        rep.cut_by_restart_ticketed += cut and bool(f.tickets)
        _transcripts(rep, f, who)
    for name in orphans:
        rep.lose("recording on disk without a ticket", name)
    return rep


def _transcripts(rep: Report, f: CallFacts, who: str) -> None:
    with_audio = [t for t in f.tickets if t.get("recording_path")]
    rep.recordings += len(with_audio)
    for ticket in with_audio:
        transcript = ticket.get("transcript") or {}
        status = transcript.get("status", "pending")
        if status in FINISHED:
            rep.transcribed += 1
        elif status != "pending" and transcript.get("error"):
            rep.failed_with_reason += 1
        else:
            rep.lose(f"recording's transcript {status}", who)


def table(rep: Report, faults: list, rss: tuple[float, float], restarts: dict) -> str:
    done = Counter(f.kind for f in faults if f.started_at and not f.detail.startswith("FAILED"))
    lost = "; ".join(f"{reason}: {len(c)} ({', '.join(c[:3])}{'…' if len(c) > 3 else ''})"
                     for reason, c in rep.lost.items())
    rows = [
        ("calls placed", rep.placed, ""),
        ("answered (SIPp saw 200 OK)", rep.answered,
         f"{rep.unanswered_restart} not answered, placed while Asterisk restarted"),
        ("journaled", rep.journaled, f"of {rep.answered} answered; {rep.journal_only} journal only (left before "
                                     "choosing, or cut in the menu)"),
        ("ticketed", rep.ticketed, f"of {rep.needs_ticket} that reached a queue or left a recording; "
                                   f"+{rep.extra_ticketed} cut after choosing a line; intake "
                                   + ", ".join(f"{k} {v}" for k, v in sorted(rep.intakes.items()))),
        ("reached an agent", rep.reached_agent, ""),
        ("transcribed or failed with a reason", rep.transcribed + rep.failed_with_reason,
         f"of {rep.recordings} recordings: {rep.transcribed} transcribed, {rep.failed_with_reason} failed"),
        ("cut by an Asterisk restart", rep.cut_by_restart, f"{rep.cut_by_restart_ticketed} of them ticketed"),
        ("**lost**", rep.lost_count, lost or "must be 0"),
        ("**duplicate tickets**", len(rep.duplicates), ", ".join(rep.duplicates[:5]) or "must be 0"),
        ("**stuck channels**", rep.stuck_channels, "`core show channels` after settling; must be 0"),
        ("faults", sum(done.values()), ", ".join(f"{k} ×{v}" for k, v in done.items())),
        ("supervisor restarts", sum(restarts.values()), ", ".join(f"{k} {v}" for k, v in restarts.items())),
        ("controller RSS", f"{rss[0]:.0f} → {rss[1]:.0f} MB", "at start → at the end (last incarnation)"),
    ]
    if rep.driver_errors:
        rows.append(("SIPp driver errors", rep.driver_errors, "calls the bench could not place"))
    return "\n".join(["| | count | notes |", "|---|---:|---|",
                      *(f"| {label} | {value} | {note} |" for label, value, note in rows)])
