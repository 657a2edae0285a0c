"""预约回拨 (call-back at peaks): the offer switch, the booking, the placeholder's life and the retries.

Built by the composition root with the live queue model (supervision) and the ticket marker (tickets).
State lives in Redis (store.py) and in Asterisk (the placeholder), so a restarted controller picks up where
the last one stopped (`recover`, on every AMI (re)connect).
"""
from __future__ import annotations

import asyncio
import logging
import time

from hotline.callback import placeholder
from hotline.callback.config import CallbackConfig
from hotline.callback.confirm import confirm_number, valid_number
from hotline.callback.estimate import estimated_wait
from hotline.callback.offer import OfferSwitch
from hotline.callback.store import OPEN, CallbackStore
from hotline.core.config import Settings
from hotline.core.logging import log_event, mask_number
from ivr import prompts
from ivr.journal import Journal
from telephony.agi_channel import AgiChannel

log = logging.getLogger("hotline.callback")
TICK_S = 1.0


class CallbackFeature:
    def __init__(self, settings: Settings, ami, agi, redis, config: CallbackConfig, model, *, mark_ticket,
                 spawn, labels: dict[str, str] | None = None) -> None:
        self.settings, self.ami, self.agi, self.config, self.model = settings, ami, agi, config, model
        self.store = CallbackStore(redis)
        self.journal = Journal(redis)
        self.mark_ticket = mark_ticket       # (call_id, status, attempts) -> the ticket says 预约回拨 / 回拨未接通
        self.spawn = spawn
        self.labels = labels or {}           # line -> 文旅服务专线 ... (the line catalogue)
        self.offer = OfferSwitch(settings, list(config.lines))
        self.counts: dict[str, int] = {}     # the last counts read (pending, connected, failed): /metrics
        self._lock = asyncio.Lock()          # one outcome or placement at a time

    async def start(self) -> None:
        self.agi.on_start(self._on_agi_start)
        self.ami.on_event(("DialEnd", "AgentConnect", "Hangup"), self.on_event)
        self.ami.on_connect(self.recover)
        self.spawn(self._loop(), "callback")
        log_event(log, "callback started", lines=list(self.config.lines))

    async def stop(self) -> None:
        pass

    # --- the offer ---------------------------------------------------------------------------------
    def wait_of(self, line: str, now: float) -> float:
        return estimated_wait(self.model, line, now, self.config.default_aht_seconds)

    def offer_open(self, line: str, now: float) -> bool:
        return self.config.offers(line) and self.wait_of(line, now) > self.config.lines[line].threshold_seconds

    async def _loop(self) -> None:
        while True:
            try:
                now = time.time()
                await asyncio.to_thread(self.offer.apply, {line: self.offer_open(line, now) for line in self.config.lines})
                await self.retry_due(now)
                self.counts = await self.store.counts()
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis or AMI blip: the next tick tries again
                log.exception("callback tick failed")
            await asyncio.sleep(TICK_S)

    # --- booking (the caller pressed 1 in the queue) -----------------------------------------------
    def _on_agi_start(self, channel: str, env: dict) -> None:
        if env.get("agi_arg_1") == "callback":
            self.spawn(self._book(AgiChannel(self.agi, channel), env), f"callback {channel}")

    async def _book(self, channel: AgiChannel, env: dict) -> None:
        names = ("HOTLINE_CALL_ID", "HOTLINE_ROUTE", "HOTLINE_TICKET_ID", "HOTLINE_CALLBACK_POSITION")
        try:
            call_id, line, ticket_id, position = [await channel.get_variable(n) for n in names]
            # the offer as announced now (the caller already left the queue: a fresh estimate would not count them)
            booked = bool(call_id and line and self.offer.state.get(line) and not await self.store.get(call_id))
            number = None
            if booked:
                number = await confirm_number(channel, self._sound, valid_number(env.get("agi_callerid")),
                                              self.config.confirm_timeout_seconds)
            if number and call_id and line:
                await self.book(call_id, line, number, int(position or 1), ticket_id)
                # first: a controller that stops during the goodbye must not put the caller back in the queue
                await channel.set_variable("HOTLINE_CALLBACK_RESULT", "booked")
                await channel.play_through(self._sound("callback-booked"))
            elif call_id:
                await self.journal.record(call_id, "callback_declined", offered=booked)
            await channel.release()   # booked: the dialplan hangs up; otherwise back to the queue, same place
        except Exception as exc:  # the caller hung up, or AMI went away: the dialplan requeues or ends the call
            log_event(log, "call-back confirmation ended", logging.INFO, channel=channel.channel, error=repr(exc))

    def _sound(self, name: str) -> str:
        return prompts.agi_path(self.settings, name)

    async def book(self, call_id: str, line: str, number: str, position: int, ticket_id: str | None) -> None:
        if not await self.store.create(call_id, number=number, line=line, position=position, ticket_id=ticket_id):
            return
        await self.journal.record(call_id, "callback_requested", number=number, line=line, position=position)
        await self.journal.update(call_id, callback="requested")
        await self._mark(call_id, "requested", 0)
        log_event(log, "call-back booked", call_id=call_id, line=line, position=position, number=mask_number(number))
        await self.place(call_id, position)

    # --- the placeholder ---------------------------------------------------------------------------
    async def place(self, call_id: str, position: int) -> None:
        record = await self.store.get(call_id)
        if not record or record.get("status") not in OPEN or not valid_number(record.get("number")):
            return
        attempt = int(record.get("attempts", 0)) + 1
        dial = self.settings.callback_dial.format(number=record["number"])
        await self.store.update(call_id, status="queued", placed_attempt=attempt, position=position)
        try:
            await placeholder.originate(self.ami, record, attempt, position, dial, self.config.ring_seconds)
        except Exception as exc:  # AMI away or refused: the retry loop places it again (same attempt, same place)
            due = time.time() + max(self.config.retry_interval_seconds, 5)
            await self.store.update(call_id, status="retry", next_try_at=due, position=position)
            await self.store.schedule(call_id, due)
            log_event(log, "call-back placeholder not placed", logging.WARNING, call_id=call_id, error=repr(exc))
            return
        log_event(log, "call-back placeholder queued", call_id=call_id, attempt=attempt, position=position)

    async def retry_due(self, now: float) -> None:
        """Retries whose time has come go back in at the head of the queue: they already had their turn."""
        for call_id in await self.store.open_ids(due_before=now):
            record = await self.store.get(call_id)
            if record and record.get("status") == "retry":   # after a no-answer: the head; never placed: its place
                await self.place(call_id, 1 if record.get("attempts") else int(record.get("position") or 1))

    async def recover(self) -> None:
        """After a (re)connect: every open call-back still has its placeholder, or its outcome is taken from
        the dialplan's AstDB note, or it is placed again (Asterisk restarted, or we died before originating)."""
        channels = await placeholder.live_channels(self.ami)
        for call_id in await self.store.open_ids():
            record = await self.store.get(call_id)
            if not record or record.get("status") == "retry":
                continue
            attempt = int(record.get("attempts", 0)) + 1
            if placeholder.is_alive(channels, call_id, attempt):
                continue
            note = await placeholder.outcome_note(self.ami, call_id)
            if note and note[1] == attempt:
                await self.outcome(call_id, attempt, note[0])
            else:
                log_event(log, "call-back placeholder missing: placing it again", call_id=call_id, attempt=attempt)
                await self.place(call_id, int(record.get("position") or 1))

    # --- AMI events: an agent took the placeholder; the caller answered or not ----------------------
    async def on_event(self, event) -> None:
        chanvars = getattr(event, "chanvars", None) or {}
        call_id, number = chanvars.get("HOTLINE_CALL_ID"), chanvars.get("HOTLINE_CALLBACK_ATTEMPT") or ""
        if not call_id or not number.isdigit():
            return
        attempt = int(number)
        if event.name == "AgentConnect":
            agent = (event.get("Interface") or "").split("/", 1)[-1]
            await self.store.update(call_id, status="dialing", agent=agent)
            await self.journal.record(call_id, "callback_dialing", agent=agent, attempt=attempt)
        elif event.get("Context") == placeholder.DIAL_CONTEXT:   # the ;1 half: it dialled the caller, or ended
            # a Hangup after DialEnd is the end of a counted attempt (ignored); alone, the agent left first
            status = event.get("DialStatus") or "HANGUP" if event.name == "DialEnd" else "HANGUP"
            await self.outcome(call_id, attempt, status)

    async def outcome(self, call_id: str, attempt: int, status: str) -> None:
        async with self._lock:
            record = await self.store.get(call_id)
            if not record or record.get("status") not in OPEN or int(record.get("attempts", 0)) >= attempt:
                return   # already counted (event and AstDB note both seen)
            attempts = await self.store.count_attempt(call_id)
            if status == "ANSWER":
                await self.store.finish(call_id, "connected")
                await self.journal.record(call_id, "callback_connected", agent=record.get("agent"), attempt=attempt)
                await self.journal.update(call_id, callback="connected")
                await self._mark(call_id, "connected", attempts)
            elif attempts >= self.config.attempts:
                await self.store.finish(call_id, "failed", last_result=status)
                await self.journal.record(call_id, "callback_failed", attempts=attempts, result=status)
                await self.journal.update(call_id, callback="failed")
                await self._mark(call_id, "failed", attempts)
            else:
                due = time.time() + self.config.retry_interval_seconds
                await self.store.update(call_id, status="retry", next_try_at=due, last_result=status)
                await self.store.schedule(call_id, due)
                await self.journal.record(call_id, "callback_no_answer", attempt=attempt, result=status,
                                          next_try_at=round(due, 3))
            log_event(log, "call-back attempt", call_id=call_id, attempt=attempt, result=status, attempts=attempts)

    async def _mark(self, call_id: str, status: str, attempts: int) -> None:
        try:
            await self.mark_ticket(call_id, status, attempts)
        except Exception as exc:  # the call-back goes on; the journal has it
            log_event(log, "ticket not marked", logging.WARNING, call_id=call_id, status=status, error=repr(exc))

    # --- views ---------------------------------------------------------------------------------------
    async def view(self, limit: int = 50) -> dict:
        now = time.time()
        recent = [r | {"number": mask_number(r.get("number")), "label": self.labels.get(r.get("line", ""))}
                  for r in await self.store.recent(limit)]
        lines = {line: {"label": self.labels.get(line, line), "offer_open": self.offer_open(line, now), "threshold_seconds": offer.threshold_seconds,
                        "estimated_wait_s": _seconds(self.wait_of(line, now))}
                 for line, offer in self.config.lines.items()}
        return {"counts": await self.store.counts(), "lines": lines, "callbacks": recent}


def _seconds(value: float) -> float | None:
    return None if value == float("inf") else round(value, 1)
