"""Satisfaction feature: the end-of-call survey's answers (stats, ticket), the handling result that schedules
a 回访, the 回访 dialer, and the numbers for the wallboard, /api/survey and /metrics.

Built by the composition root (hotline/runtime.py); the call flow gets `record_call_survey` as its
SurveyRecorder port and routes AGI purposes `survey` and `followup` here through CallFlowFeature.on_agi.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event
from hotline.survey import schedule, stats
from hotline.survey.followup import FollowupDialer
from hotline.tickets import satisfaction, service as tickets
from ivr import prompts
from ivr.survey import EndOfCallSurvey

log = logging.getLogger("hotline.survey")
Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


class SurveyFeature:
    def __init__(self, settings: Settings, redis, ami, lines: LineCatalogue, spawn: Spawn) -> None:
        self.settings, self.redis, self.ami, self.lines, self.spawn = settings, redis, ami, lines, spawn
        self.dialer = FollowupDialer(settings, redis, ami, self._followup_outcome)

    def line_has_survey(self, line: str) -> bool:
        return self.settings.survey_enabled and line not in self.settings.survey_disabled_lines

    def end_of_call(self, journal) -> EndOfCallSurvey:
        """The AGI handler the call flow runs when Queue() hands the caller back."""
        return EndOfCallSurvey(journal, self.record_call_survey, lambda name: prompts.agi_path(self.settings, name),
                               self.line_has_survey, self.settings.survey_wait_seconds)

    async def start(self) -> None:
        self.ami.on_event("OriginateResponse", self.dialer.on_originate_response)
        if self.settings.followup_enabled:
            self.spawn(self.dialer.run_forever(), "followup dialer")

    async def stop(self) -> None:
        pass

    # --- the survey at the end of the call ----------------------------------------------------------------
    async def record_call_survey(self, result: dict) -> None:
        await stats.count(self.redis, source="call", answer=result["answer"], line=result.get("line"),
                          agent=result.get("agent"), at=time.time(), timezone=self.settings.survey_timezone)
        ticket_id = result.get("ticket_id") or await tickets.ticket_id_for_call(self.redis, result["call_id"])
        if ticket_id:
            await satisfaction.record_survey(self.redis, ticket_id, result["answer"])

    # --- the handling result and the 回访 -----------------------------------------------------------------
    async def report_result(self, ticket_id: str, text: str, handled_by: str, reported_by: str) -> dict:
        """Store the result on the ticket, synthesise what the 回访 reads, schedule the call."""
        ticket = await satisfaction.record_result(self.redis, ticket_id, text, handled_by, reported_by)
        await self.dialer.build_audio(ticket_id, ticket["result"])
        now = time.time()
        state = await schedule.schedule(self.redis, ticket_id, ticket.get("caller") or "", now)
        ticket = await satisfaction.record_followup(self.redis, ticket_id, status="scheduled", tries=0,
                                                    answer=None, at=None)
        wait = self.dialer.wait_for_hours(now)
        log_event(log, "followup scheduled", ticket_id=ticket_id, handled_by=handled_by, wait_seconds=wait)
        return {"ticket": ticket, "followup": {**state, "earliest_call_in_seconds": wait}}

    async def _followup_outcome(self, ticket_id: str, answer: str | None, tries: int) -> None:
        """answer None: nobody answered in any try; otherwise "1"/"2"/"3"/"none"."""
        if answer is not None:
            ticket = await tickets.get_ticket(self.redis, ticket_id)
            await stats.count(self.redis, source="followup", answer=answer, line=ticket.get("line"), agent=None,
                              at=time.time(), timezone=self.settings.survey_timezone)
        await satisfaction.record_followup(self.redis, ticket_id, status="failed" if answer is None else "done",
                                           tries=tries, answer=answer, at=time.time())

    # --- numbers ------------------------------------------------------------------------------------------
    async def report(self, days: int = 7) -> dict:
        out = await stats.report(self.redis, now=time.time(), days=days, timezone=self.settings.survey_timezone)
        out["followups_pending"] = await schedule.pending(self.redis)
        out["review_unsatisfied"] = await satisfaction.review_count(self.redis)
        return out

    async def metrics_collector(self):
        from hotline.survey.metrics import SurveyCollector
        return SurveyCollector(await self.report(days=1))
