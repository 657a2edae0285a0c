"""The satisfaction survey at the end of a call: the agent hung up first, Queue() returned (option c) and the
dialplan hands the caller back with AGI(agi:async,survey,<call id>,<QUEUESTATUS>)."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from hotline.core.logging import log_event
from ivr.journal import SpooledJournal
from ivr.ports import SurveyRecorder
from telephony.agi import AgiHangup
from telephony.agi_channel import AgiChannel

log = logging.getLogger("ivr.survey")
ANSWERS = ("1", "2", "3")   # 满意, 基本满意, 不满意
NO_ANSWER = "none"
_CALL_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


async def ask_satisfaction(channel: AgiChannel, prompt: str, retry_prompt: str, wait_seconds: float) -> str:
    """Play the question (any key interrupts it) and wait for 1, 2 or 3; a wrong key hears the error prompt
    and the question once more. Returns "1"/"2"/"3" or "none"; raises AgiHangup when the caller hangs up."""
    for attempt in range(2):
        key = await channel.prompt_for_key(prompt, wait_seconds)
        if key in ANSWERS:
            return key
        if key is None or attempt:
            return NO_ANSWER
        await channel.play(retry_prompt)
    return NO_ANSWER


@dataclass
class EndOfCallSurvey:
    journal: SpooledJournal
    record: SurveyRecorder               # stats and the ticket (hotline/survey, given by the composition root)
    sound: Callable[[str], str]          # prompt name -> path Asterisk plays
    enabled: Callable[[str], bool]       # line -> does it have the survey
    wait_seconds: float = 5.0

    async def handle(self, channel: AgiChannel, env: dict) -> None:
        call_id = env.get("agi_arg_2", "")
        try:
            summary = await self._summary(call_id)
            agent, line = summary.get("agent"), summary.get("route") or ""
            if not agent or not self.enabled(line):   # nobody answered (queue timeout) or the line has none
                return
            await self.journal.record(call_id, "survey_offered", queue_status=env.get("agi_arg_3") or None)
            answer, hung_up = await self._ask(channel)
            await self.journal.record(call_id, "survey", value=answer, **({"hangup": True} if hung_up else {}))
            await self.journal.update(call_id, survey=answer)
            await self.record({"call_id": call_id, "ticket_id": summary.get("ticket_id"), "line": line,
                               "agent": agent, "answer": answer})
            log_event(log, "survey answered", call_id=call_id, line=line, agent=agent, answer=answer)
            if not hung_up:
                await channel.play(self.sound("survey-thanks" if answer != NO_ANSWER else "goodbye"))
        except AgiHangup:
            pass
        except Exception as exc:   # a survey must never keep a caller on the line
            log_event(log, "survey failed", logging.ERROR, call_id=call_id, error=repr(exc))
        finally:
            try:
                await channel.release()   # the dialplan hangs up
            except Exception:
                pass

    async def _summary(self, call_id: str) -> dict:
        if not _CALL_ID.fullmatch(call_id or ""):
            return {}
        return await self.journal.summary(call_id) or {}

    async def _ask(self, channel: AgiChannel) -> tuple[str, bool]:
        try:
            return await ask_satisfaction(channel, self.sound("survey"), self.sound("input-error"),
                                          self.wait_seconds), False
        except AgiHangup:
            return NO_ANSWER, True
