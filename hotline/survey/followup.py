"""回访 calls: AMI Originate to the caller within the allowed hours, up to followup_max_tries; once answered
([hotline-followup] hands the channel back over AsyncAGI) the handling result is read to them with the
Mandarin TTS and the satisfaction question asked."""
from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from pathlib import Path

from hotline.core.config import Settings
from hotline.core.logging import log_event, mask_number
from hotline.survey import schedule
from ivr import prompts
from ivr.survey import NO_ANSWER, ask_satisfaction
from telephony.agi import AgiHangup
from telephony.agi_channel import AgiChannel
from telephony.ami.errors import AmiError

log = logging.getLogger("hotline.survey.followup")
_NUMBER = re.compile(r"\+?[0-9]{3,20}")
_TICKET_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
TTS_MAX = 300   # characters of the result read out; the rest is in the ticket


def result_text(result: dict) -> str:
    text = " ".join(str(result.get("text") or "").split())[:TTS_MAX]
    return (f"您好，这里是一二三四五政务服务便民热线回访。您反映的问题已由{result.get('handled_by', '')}办理，"
            f"办理结果是：{text}。")


class FollowupDialer:
    def __init__(self, settings: Settings, redis, ami, on_answer) -> None:
        self.settings, self.redis, self.ami = settings, redis, ami
        self.on_answer = on_answer               # async (ticket_id, answer, tries) -> None
        self.calling: dict[str, str] = {}        # originate channel id -> ticket id

    # --- audio --------------------------------------------------------------------------------------------
    def audio_file(self, ticket_id: str) -> Path:
        return prompts.sounds_dir(self.settings) / "followup" / f"{ticket_id}.wav"

    def audio_path(self, ticket_id: str) -> str:
        """As Asterisk plays it (inside the chroot, no extension)."""
        return str(self.settings.pbx_instance_dir / "sounds" / "followup" / ticket_id)

    async def build_audio(self, ticket_id: str, result: dict) -> None:
        target = self.audio_file(ticket_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(prompts.synthesise, result_text(result), target)

    # --- the schedule -------------------------------------------------------------------------------------
    def wait_for_hours(self, now: float) -> float:
        local = schedule.local_now(now, self.settings.survey_timezone, self.settings.followup_clock)
        return schedule.seconds_until_open(local, self.settings.followup_hours)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick(time.time())
            except Exception as exc:   # Redis or AMI hiccup: the schedule is in Redis, the next tick goes on
                log_event(log, "followup tick failed", logging.WARNING, error=repr(exc))
            await asyncio.sleep(self.settings.followup_poll_seconds)

    async def tick(self, now: float) -> None:
        if not self.ami.connected:
            return
        for ticket_id in await schedule.due(self.redis, now):
            wait = self.wait_for_hours(now)
            if wait > 0:   # no calls outside the hours: every due one waits for the opening
                await schedule.postpone(self.redis, ticket_id, now + wait, status="scheduled")
                continue
            await self._try(ticket_id, now)

    async def _try(self, ticket_id: str, now: float) -> None:
        state = await schedule.get(self.redis, ticket_id)
        if state is None or state.get("status") in ("done", "failed"):
            await schedule.finish(self.redis, ticket_id, (state or {}).get("status") or "failed")
            return
        number = state.get("caller", "")
        if not _NUMBER.fullmatch(number):
            await self._gave_up(ticket_id, state["tries"], "the ticket has no number to call")
            return
        lease = now + self.settings.followup_ring_seconds + 360   # ring + the call itself
        tries = await schedule.start_try(self.redis, ticket_id, lease)
        channel_id = f"followup-{uuid.uuid4().hex[:16]}"
        self.calling[channel_id] = ticket_id
        log_event(log, "followup call", ticket_id=ticket_id, caller=mask_number(number), attempt=tries)
        try:
            await self.ami.send_action(
                "Originate", Channel=self.settings.followup_dial.format(number=number), Context="hotline-followup",
                Exten="s", Priority="1", Timeout=str(self.settings.followup_ring_seconds * 1000),
                CallerID=f"12345 <{self.settings.hotline_number}>", Async="true", ChannelId=channel_id,
                Variable=f"HOTLINE_FOLLOWUP_TICKET={ticket_id}")
        except AmiError as exc:
            self.calling.pop(channel_id, None)
            await self.not_reached(ticket_id, f"originate refused: {exc}")

    async def on_originate_response(self, event) -> None:
        """OriginateResponse of one of our calls: a Failure (no answer, busy, unreachable) counts as a try."""
        ticket_id = self.calling.pop(event.get("Uniqueid", ""), None)
        if ticket_id is not None and event.get("Response") != "Success":
            await self.not_reached(ticket_id, f"not answered (reason {event.get('Reason')})")

    async def not_reached(self, ticket_id: str, reason: str) -> None:
        state = await schedule.get(self.redis, ticket_id) or {"tries": self.settings.followup_max_tries}
        if state["tries"] >= self.settings.followup_max_tries:
            await self._gave_up(ticket_id, state["tries"], reason)
            return
        retry_at = time.time() + self.settings.followup_retry_minutes * 60
        await schedule.postpone(self.redis, ticket_id, retry_at, status="scheduled", last_error=reason)
        log_event(log, "followup not reached, will retry", ticket_id=ticket_id, reason=reason, retry_at=retry_at)

    async def _gave_up(self, ticket_id: str, tries: int, reason: str) -> None:
        await schedule.finish(self.redis, ticket_id, "failed", last_error=reason)
        self.audio_file(ticket_id).unlink(missing_ok=True)   # the result is on the ticket; no copy lingers
        log_event(log, "followup failed", logging.WARNING, ticket_id=ticket_id, tries=tries, reason=reason)
        await self.on_answer(ticket_id, None, tries)

    # --- the answered call (AGI(agi:async,followup,<ticket id>)) ------------------------------------------
    async def handle_call(self, channel: AgiChannel, env: dict) -> None:
        ticket_id = env.get("agi_arg_2", "")
        try:
            state = await schedule.get(self.redis, ticket_id) if _TICKET_ID.fullmatch(ticket_id) else None
            if state is None:
                return
            answer = await self._converse(channel, ticket_id)
            await schedule.finish(self.redis, ticket_id, "done", answer=answer)
            self.audio_file(ticket_id).unlink(missing_ok=True)
            log_event(log, "followup answered", ticket_id=ticket_id, answer=answer, tries=state["tries"])
            await self.on_answer(ticket_id, answer, state["tries"])
        except Exception as exc:
            log_event(log, "followup call failed", logging.ERROR, ticket_id=ticket_id, error=repr(exc))
        finally:
            try:
                await channel.release()
            except Exception:
                pass

    async def _converse(self, channel: AgiChannel, ticket_id: str) -> str:
        sound = lambda name: prompts.agi_path(self.settings, name)   # noqa: E731
        try:
            await channel.play(self.audio_path(ticket_id))
            answer = await ask_satisfaction(channel, sound("survey"), sound("input-error"),
                                            self.settings.survey_wait_seconds)
        except AgiHangup:
            return NO_ANSWER
        try:
            await channel.play(sound("survey-thanks" if answer != NO_ANSWER else "goodbye"))
        except AgiHangup:
            pass   # the answer is in
        return answer
