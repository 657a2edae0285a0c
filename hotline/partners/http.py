"""HTTP side of the partner lines: the console's 一键转接 (docs/partners.md)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from hotline.api.deps import AgentUser, feature
from hotline.partners.service import PartnersFeature, TransferError

router = APIRouter(tags=["partners"])
Partners = Annotated[PartnersFeature, Depends(feature("partners"))]
CALL_ID = r"^[A-Za-z0-9_.-]{1,128}$"


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    mode: Literal["blind", "attended"] = "blind"


async def _run(action) -> dict:
    try:
        return await action
    except TransferError as exc:
        raise HTTPException(exc.status, str(exc)) from exc


@router.get("/api/partners", summary="Partner lines (水电气热); those owning the call's ticket category first")
async def list_partners(partners: Partners, _: AgentUser, call_id: str | None = None) -> list[dict]:
    return await partners.partners_for_call(call_id)


@router.post("/api/calls/{call_id}/transfer", summary="一键转接: blind or attended transfer to a partner")
async def transfer(call_id: Annotated[str, Path(pattern=CALL_ID)], body: TransferRequest, partners: Partners,
                   user: AgentUser) -> dict:
    return await _run(partners.transfer(call_id, body.partner, body.mode, user.endpoint))


@router.post("/api/calls/{call_id}/transfer/complete", summary="Attended transfer: leave the caller with the partner")
async def complete(call_id: Annotated[str, Path(pattern=CALL_ID)], partners: Partners, user: AgentUser) -> dict:
    return await _run(partners.complete(call_id, user.endpoint))


@router.post("/api/calls/{call_id}/transfer/cancel", summary="Attended transfer: back to the caller")
async def cancel(call_id: Annotated[str, Path(pattern=CALL_ID)], partners: Partners, user: AgentUser) -> dict:
    return await _run(partners.cancel(call_id, user.endpoint))
