"""Survey HTTP: the handling result that triggers a 回访 (work-order system or a supervisor), and 满意率.

POST /api/tickets/{id}/result takes `Authorization: Bearer <token>` where the token is either a supervisor's
or admin's login session, or the work-order system's integration token (setting `workorder_token`; none set:
sessions only). Agents may not report results: a result closes the loop on the caller's request.
"""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.api.deps import SupervisorUser, bearer_token, feature, require_role
from hotline.survey.service import SurveyFeature
from hotline.tickets import service as tickets

router = APIRouter(tags=["survey"])
Survey = Annotated[SurveyFeature, Depends(feature("survey"))]
WORKORDER = "workorder"   # who reported a result given with the integration token


class ResultReport(BaseModel):
    """The handling department's result. `text` is read to the caller in the 回访 (first 300 characters)."""
    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(min_length=1, max_length=2000, description="办理结果, read to the caller")
    handled_by: str = Field(min_length=1, max_length=64, description="the department or company that handled it")

    @field_validator("text", "handled_by")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("may not be blank")
        return value.strip()


async def reporter(request: Request) -> str:
    """The work-order system (its token) or a supervisor/admin (their session): who reports the result."""
    token = bearer_token(request) or ""
    secret = request.app.state.runtime.settings.workorder_token
    if secret is not None and secret.get_secret_value() and hmac.compare_digest(
            token.encode(), secret.get_secret_value().encode()):
        return WORKORDER
    user = await require_role("supervisor")(request)
    return user.username


@router.post("/api/tickets/{ticket_id}/result", summary="Report a ticket handled: store the result, schedule the 回访")
async def report_result(ticket_id: str, body: ResultReport, survey: Survey,
                        who: Annotated[str, Depends(reporter)]) -> dict:
    try:
        return await survey.report_result(ticket_id, body.text, body.handled_by, who)
    except tickets.TicketNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except tickets.TicketConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except tickets.TicketInvalid as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/api/survey", summary="满意率 and 参评率 per day, line and agent; pending 回访; review list size")
async def survey_report(survey: Survey, _: SupervisorUser, days: int = Query(7, ge=1, le=90)) -> dict:
    return await survey.report(days)
