"""Partner transfer from the voice menu (action `transfer`, 水电气热 linkage) and the caller's way back.

The controller decides: it notes the transfer, opens the call's draft ticket (so an answered transfer has one
and the partner's webhook carries it), plays the prompt and hands the call to the dialplan's
[hotline-transfer] <partner>, which rings the partner for its ring timeout. Unanswered, busy or unreachable,
the dialplan brings the caller back through AsyncAGI (`transfer-returned`): `resume` records the description
(when the menu asks for one) onto that ticket and queues the caller on the line the transfer named.
Controller away: [hotline-fallback] takes the caller to the general line by itself.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hotline.core.lines import FALLBACK_LINE, LineCatalogue
from hotline.core.logging import log_event
from ivr.events import call_id_of
from ivr.menus.schema import TransferAction
from ivr.spool import REDIS_AWAY
from telephony.agi import AgiHangup
from telephony.agi_channel import AgiChannel

if TYPE_CHECKING:
    from ivr.flow import CallFlow

log = logging.getLogger("ivr.transfer")
RETURNED = "transfer-returned"          # the AGI argument [hotline-transfer-back] passes
PARTNER_VARIABLE = "HOTLINE_TRANSFER_PARTNER"   # set while the partner rings (manager.conf channelvars)


def returning(env: dict) -> bool:
    return env.get("agi_arg_2") == RETURNED


class MenuTransfer:
    def __init__(self, flow: CallFlow, lines: LineCatalogue | None) -> None:
        self.flow, self.lines = flow, lines

    def _partner(self, name: str):
        if self.lines is None or name not in self.lines.partner_names:
            return None
        return self.lines.partner(name)

    async def start(self, channel: AgiChannel, call_id: str, action: TransferAction, draft: dict) -> bool:
        """True when the call went to the partner; False: the caller stays (closed, unknown partner)."""
        journal = self.flow.journal
        partner = self._partner(action.partner)
        if partner is None or not partner.is_open():
            reason = "closed" if partner else "unknown partner"
            await journal.record(call_id, "transfer_skipped", partner=action.partner, reason=reason)
            return False
        await journal.record(call_id, "transfer_started", partner=partner.name, label=partner.label,
                             mode="menu", by="menu", ring_timeout_seconds=partner.ring_timeout_seconds)
        await journal.update(call_id, route=action.queue, transfer_partner=partner.name,
                             transfer_queue=action.queue, transfer_record=int(action.record))
        ticket_id = await self.flow.intake.ticket({**draft, "route": action.queue})
        if action.prompt:
            await channel.play_through(self.flow._sound(action.prompt))
        variables = {"HOTLINE_ROUTE": action.queue, "HOTLINE_TRANSFER": partner.name}
        if ticket_id:
            variables["HOTLINE_TICKET_ID"] = ticket_id
        await channel.set_variables(variables)
        await channel.release()
        log_event(log, "call sent to partner", call_id=call_id, partner=partner.name, ticket_id=ticket_id)
        return True

    async def resume(self, channel: AgiChannel, env: dict) -> None:
        """The partner did not answer: back on the hotline, with a description and a ticket."""
        call_id = env.get("agi_arg_3") or ""
        partner, status = env.get("agi_arg_4") or "", env.get("agi_arg_5") or ""
        flow, stage = self.flow, "transfer-returned"
        writes: list = []   # journal writes the caller does not wait for, as in CallFlow.handle
        note = flow._noter(call_id, writes)
        flow.active_calls.add(call_id)
        try:
            await channel.set_variables({"TIMEOUT(absolute)": flow.settings.call_flow_lease_seconds})
            summary = await flow.journal.summary(call_id) or {}
            queue = str(summary.get("transfer_queue") or summary.get("route") or FALLBACK_LINE)
            if self.lines is not None and queue not in self.lines:
                queue = FALLBACK_LINE
            await flow.journal.record(call_id, "transfer_returned", partner=partner, status=status, queue=queue)
            await channel.play_through(flow._sound("transfer-returned"))
            ticket_id = summary.get("ticket_id")
            if str(summary.get("transfer_record")) == "1" and not summary.get("recording_path"):
                stage = "recording"
                _, tree = await flow._active_menu()
                recording = await flow._record_description(channel, call_id, tree, note)
                draft = {"call_id": call_id, "caller": summary.get("caller") or "", "route": queue,
                         "menu_version": summary.get("menu_version"), "started_at": summary.get("started_at"),
                         "recording_path": None}
                ticket_id = await flow._open_ticket(draft, recording) or ticket_id
                if recording and recording["ended_by"] == "hangup":
                    raise AgiHangup(channel.channel)
            stage = "queue"
            await flow._queue(channel, queue, ticket_id, note)
        except AgiHangup:
            await flow.journal.record(call_id, "caller_hangup", stage=stage)
        except Exception as exc:  # never leave the caller stuck: the dialplan's general line
            log_event(log, "transfer return failed, releasing to general", logging.ERROR, call_id=call_id,
                      error=repr(exc))
            await flow._release_to_general(channel, call_id)
        finally:
            await flow._settle(writes, {"call_id": call_id})
            await flow.intake.written(call_id)
            flow.active_calls.discard(call_id)


class TransferJournal:
    """DialEnd of a caller ringing a partner ([hotline-transfer]: the channel carries HOTLINE_TRANSFER_PARTNER)
    → `transfer_answered` or `transfer_no_answer` in the call's journal."""

    def __init__(self, journal) -> None:
        self.journal = journal

    def register(self, ami) -> None:
        ami.on_event(("DialEnd",), self.handle)

    async def _known(self, call_id: str) -> bool:
        try:
            return await self.journal.exists(call_id)
        except REDIS_AWAY:      # ours: the writes wait in the spool
            return True

    async def handle(self, event) -> None:
        partner = (getattr(event, "chanvars", None) or {}).get(PARTNER_VARIABLE)
        call_id = call_id_of(event)
        if not partner or not call_id or not await self._known(call_id):
            return
        status = event.get("DialStatus") or ""
        if status == "ANSWER":
            await self.journal.record(call_id, "transfer_answered", partner=partner)
            await self.journal.update(call_id, transfer_result="answered")
        else:
            await self.journal.record(call_id, "transfer_no_answer", partner=partner, status=status)
            await self.journal.update(call_id, transfer_result="returned")
