"""Calls the call flow did not finish get their journal and ticket anyway.

Runs when the controller (re)connects to Asterisk and then every `interval` seconds:
1. Calls the dialplan took without the controller (heartbeat stale, pickup watchdog, lease ran out) are noted
   by the dialplan in AstDB `hotline_fallback/<UTC minute>/<call id>`: each gets a journal (or its journal
   learns the line the call really reached: general) and a ticket marked as received without the menu. A round
   reads the minutes since the last round (and one before); every note after a (re)connect or a long gap. The
   AMI user may not delete from AstDB (no `system` class), so taken notes are remembered in Redis and
   `hotline up` prunes them with the Asterisk CLI (`prune_taken_notes`): read whole, a busy day's notes (32,669
   after the capacity bench) came back as one AMI event each, every round, and stalled the controller.
2. Journals of recent calls that reached a queue, or left a recording on disk, but have no ticket (the
   controller died between the menu and the ticket) get their ticket, and the recording its ASR job; a
   recording whose ticket exists but whose ASR job was never published (the controller died between the two)
   gets its job.
A caller who hung up in the menu before asking anything keeps a journal only: there is no request to answer.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from hotline.core import keys
from hotline.core.lines import FALLBACK_LINE
from hotline.core.logging import log_event, mask_number
from ivr.intake import Intake
from ivr.journal import CALLS, SpooledJournal, call_key, journal_key
from ivr.spool import REDIS_AWAY

log = logging.getLogger("ivr.reconcile")
FALLBACK_FAMILY = "hotline_fallback"
TAKEN = keys.FALLBACK_TAKEN.pattern
WITHOUT_MENU = "without_menu"      # ticket intake: the dialplan took the call, the menu never ran
INTERRUPTED = "interrupted"        # the controller stopped between the menu and the ticket


def parse_fallback(key: str, value: str) -> dict:
    """AstDB `arrived_at|reason|caller` (written by [hotline-fallback]) → journal fields."""
    arrived, _, rest = (value or "").partition("|")
    reason, _, caller = rest.partition("|")
    try:
        started = float(arrived)
    except ValueError:
        started = time.time()
    return {"call_id": key.rsplit("/", 1)[-1], "started_at": started, "fallback": reason or "unknown",
            "caller": caller}


CHUNK = 500   # calls per read and pipeline; the flow gets the event loop between two
MAX_NOTE_GAP_SECONDS = 3600   # a longer pause between rounds reads every note again


class Reconciler:
    def __init__(self, ami, journal: SpooledJournal, intake: Intake, redis, recording_path: Callable[[str], Path],
                 busy: Callable[[], set[str]], *, window_seconds: float = 6 * 3600, settle_seconds: float = 20,
                 interval: float = 15, node: str = "default") -> None:
        self.ami, self.journal, self.intake, self.redis = ami, journal, intake, redis
        self.recording_path = recording_path       # call id → the recording file as the host sees it
        self.busy = busy                            # channels/call ids the flow is still walking
        self.window_seconds, self.settle_seconds, self.interval = window_seconds, settle_seconds, interval
        self.counters = {"fallback_calls": 0, "tickets_opened": 0, "asr_jobs": 0}
        self._settled: dict[str, float] = {}   # call id → start: ticketed, nothing left to do; not asked again
        # calls that started before this were all settled last round: a round reads only the calls after it (a
        # busy hour's six-hour window is ~10^5 calls: 48,693 of them read whole took 2.9 s of one core and held
        # the event loop up to 1.1 s at a time, calls arriving meanwhile late for their pickup). Kept in Redis per
        # node, so a restarted controller reads from where its last run left off; the whole window only when
        # there is no such mark, or after the spool replayed writes (a journal that reached Redis late, with its
        # old start time).
        self.left_off_key = keys.RECONCILED_FROM(node=node)
        self._scan_from: float | None = None
        self._replays_seen = 0
        self._notes_read_at: float | None = None   # when a round last read the fallback notes

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.run_once()

    async def run_once(self, every_note: bool = False) -> None:
        try:
            if self.ami.connected:
                await self.fallback_calls(every_note)
            await self.unticketed_calls()
        except REDIS_AWAY:
            pass                                    # next round; the spool keeps what was written
        except Exception:  # one bad round must not end reconciliation
            log.exception("reconcile round failed")

    async def fallback_calls(self, every_note: bool = False) -> None:
        now, since = time.time(), self._notes_read_at
        if every_note or since is None or now - since > MAX_NOTE_GAP_SECONDS:
            entries = await self.ami.send_action_list("DBGetTree", Family=FALLBACK_FAMILY)
        else:
            entries = [entry for minute in note_minutes(since - 60, now)
                       for entry in await self.ami.send_action_list("DBGetTree", Family=FALLBACK_FAMILY, Key=minute)]
        calls = [parse_fallback(entry.get("Key"), entry.get("Val", "")) for entry in entries
                 if entry.name == "DBGetTreeResponse" and entry.get("Key")]
        taken = await self.redis.smismember(TAKEN, [call["call_id"] for call in calls]) if calls else []
        for call, was_taken in zip(calls, taken, strict=True):
            if not was_taken:
                await self._take_fallback(call)
                await self.redis.sadd(TAKEN, call["call_id"])
        self._notes_read_at = now

    async def _take_fallback(self, call: dict) -> None:
        call_id = call["call_id"]
        summary = await self.journal.summary(call_id)
        if summary is None:
            await self.journal.open(call_id, caller=call["caller"], started_at=call["started_at"], intake=WITHOUT_MENU)
        await self.journal.record(call_id, "fallback", reason=call["fallback"], queue=FALLBACK_LINE)
        await self.journal.update(call_id, route=FALLBACK_LINE, fallback=call["fallback"])
        self.counters["fallback_calls"] += 1
        log_event(log, "call taken by the dialplan alone", call_id=call_id, reason=call["fallback"],
                  caller=mask_number(call["caller"]))
        if not (summary or {}).get("ticket_id"):
            merged = {**(summary or {}), **call, "route": FALLBACK_LINE}
            # a journal means the flow had the call (and may have recorded) before it stopped
            await self._open(call_id, merged, WITHOUT_MENU if summary is None else INTERRUPTED)

    async def unticketed_calls(self) -> None:
        if self.intake.spool.pending:
            return      # tickets still waiting in the spool would look missing
        now = time.time()
        oldest = now - self.window_seconds
        if self._scan_from is None:   # this process's first round
            mark = await self.redis.get(self.left_off_key)
            self._scan_from = float(mark) if mark else oldest
        replayed = self.intake.spool.counters["replayed"]
        scan_from = oldest if replayed != self._replays_seen else max(oldest, self._scan_from)
        self._replays_seen = replayed
        self._settled = {i: t for i, t in self._settled.items() if t >= oldest}
        upper, busy = now - self.settle_seconds, self.busy()   # busy: calls the flow is still walking
        first_open, done = None, False   # the earliest call not settled (pages come in start order)
        try:
            async for page in self._pages(scan_from, upper):
                await self._reconcile_chunk([i for i in page if i not in busy and i not in self._settled], page)
                if first_open is None:
                    first_open = min((t for i, t in page.items() if i not in self._settled), default=None)
            done = True
        finally:   # cut short: the next round starts again where this one may have left calls unread
            self._scan_from = first_open if first_open is not None else (upper if done else scan_from)
        await self.redis.set(self.left_off_key, repr(self._scan_from))

    async def _pages(self, low: float, high: float):
        """The calls started in [low, high] as {call id: start}, CHUNK at a time in start order, the event loop
        free between two pages: a whole window is ~10^5 calls (one ZRANGEBYSCORE of 48,693 took 249 ms)."""
        offset = 0
        while True:
            page = dict(await self.redis.zrangebyscore(CALLS, low, high, start=offset, num=CHUNK, withscores=True))
            yield page
            if len(page) < CHUNK:
                return
            offset += CHUNK
            await asyncio.sleep(0)

    async def _reconcile_chunk(self, ids: list[str], started: dict[str, float]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:   # one round trip per chunk
            for call_id in ids:
                pipe.hmget(call_key(call_id), "ticket_id", "queue", "route", "hangup_stage", "asr_job_at",
                           "recording_path")
            found = await pipe.execute()
        for call_id, (ticket_id, queue, route, hung_up_in_flow, asr_job, path) in zip(ids, found, strict=True):
            if ticket_id and (asr_job or not path):
                # ticketed, with its recording's ASR job or without a recording (the flow and _open journal the
                # recording's path before the ticket): settled without looking at the disk
                self._settled[call_id] = started[call_id]
                continue
            recorded = self.recording_path(call_id).exists()
            if ticket_id and recorded and not asr_job:
                await self._untranscribed(call_id)     # asked again next round, until its job is marked
                continue
            # ticketed, or the flow itself saw the caller leave before asking anything: nothing left to do
            if ticket_id or (hung_up_in_flow and not recorded) or not (queue or route or recorded):
                self._settled[call_id] = started[call_id]
                continue
            summary = await self.journal.summary(call_id)
            if summary and not summary.get("ticket_id"):
                await self._open(call_id, summary, INTERRUPTED)

    async def _untranscribed(self, call_id: str) -> None:
        """A ticketed recording without the ASR job's mark: publish the job (the worker skips a ticket that has
        its transcript already, so a job published twice costs nothing)."""
        events = await self.redis.lrange(journal_key(call_id), 0, -1)
        if any('"asr_job_published"' in e for e in events):     # journaled before the mark existed
            await self.journal.update(call_id, asr_job_at=round(time.time(), 3))
            return
        summary = await self.journal.summary(call_id) or {}
        route = summary.get("route") or FALLBACK_LINE
        await self.intake.asr_job(call_id, str(self.recording_path(call_id)), str(summary.get("caller") or ""), route)
        self.counters["asr_jobs"] += 1
        await self.journal.record(call_id, "asr_job_reconciled")
        log_event(log, "ASR job published for a ticketed recording", call_id=call_id, route=route)

    async def _open(self, call_id: str, summary: dict, intake: str) -> None:
        recording = self.recording_path(call_id)
        recorded = recording.exists()
        route = summary.get("route") or FALLBACK_LINE
        if recorded:   # before the ticket: a later round then knows this ticket's recording needs a job
            await self.journal.update(call_id, recording_path=str(recording))
        draft = {"call_id": call_id, "caller": summary.get("caller") or "", "route": route,
                 "menu_version": summary.get("menu_version"), "started_at": summary.get("started_at"),
                 "recording_path": str(recording) if recorded else None, "intake": intake}
        await self.intake.ticket(draft)
        self.counters["tickets_opened"] += 1
        await self.journal.record(call_id, "ticket_reconciled", intake=intake)
        if recorded:
            await self.intake.asr_job(call_id, str(recording), str(draft["caller"]), route)
            self.counters["asr_jobs"] += 1
        log_event(log, "ticket opened for an unfinished call", call_id=call_id, intake=intake, route=route,
                  recording=recorded)


def note_minutes(start: float, end: float) -> list[str]:
    """The AstDB path segments the dialplan files notes under (their UTC minute, extensions.conf.j2) from
    `start` to `end`."""
    first = int(start // 60) * 60
    return [time.strftime("%Y%m%d%H%M", time.gmtime(at)) for at in range(first, int(end) + 1, 60)]


def prune_taken_notes(redis, cli: Callable[[str], str]) -> int:
    """Delete the AstDB notes already taken (sync: `hotline up` runs it with the Asterisk CLI as root)."""
    taken, pruned = redis.smembers(TAKEN), 0
    prefix = f"/{FALLBACK_FAMILY}/"
    for line in cli(f"database show {FALLBACK_FAMILY}").splitlines():
        path = line.split(":", 1)[0].strip()
        if path.startswith(prefix) and path.rsplit("/", 1)[-1] in taken:   # <hour>/<call id> (or an old <call id>)
            cli(f"database del {FALLBACK_FAMILY} {path[len(prefix):]}")
            pruned += 1
    if taken:
        redis.srem(TAKEN, *taken)
    return pruned
