"""Transfers to partner lines: started by an agent (blind: AMI Redirect of the caller into [hotline-transfer];
attended: AMI Atxfer on the agent's channel into [hotline-partner-dial]) or by the voice menu (ivr/transfer.py).

Every transfer is recorded on the call's ticket (hotline.tickets.transfers) and in its journal, and the
partner receives the draft ticket by webhook. The dialplan's Dial of a partner carries
HOTLINE_TRANSFER_PARTNER (manager.conf channelvars): its DialBegin/DialEnd events settle menu and blind
transfers; attended ones settle when the agent completes (hangs up) or cancels.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from hotline import tickets
from hotline.agents import calls
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event, mask_number
from hotline.core.partners import Partner
from hotline.core.webhooks import WebhookSender
from hotline.tickets import transfers
from ivr.journal import Journal
from ivr.transfer import PARTNER_VARIABLE

log = logging.getLogger("hotline.partners")
SETTLE_SECONDS = 5.0     # after an attended transfer's completion: how long to look for the caller's new peer


class TransferError(Exception):
    """Refused: `status` is the HTTP status the route answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Attended:
    partner: Partner
    agent: str
    agent_channel: str
    caller_channel: str


class PartnersFeature:
    def __init__(self, redis, ami, lines: LineCatalogue, *, spawn=None) -> None:
        self.redis, self.ami, self.lines = redis, ami, lines
        self.journal = Journal(redis)
        self.webhooks = {p.name: WebhookSender(p.webhook, name=f"partner-{p.name}") for p in lines.partners}
        self.attended: dict[str, Attended] = {}    # call id → the attended transfer under way

    async def start(self) -> None:
        self.ami.on_event(("DialBegin", "DialEnd"), self.on_dial)

    async def stop(self) -> None:
        for sender in self.webhooks.values():
            await sender.close()

    # -- what the console lists ---------------------------------------------------------------------------
    async def partners_for_call(self, call_id: str | None) -> list[dict]:
        """Every partner; those owning the call's ticket category first."""
        category = None
        ticket_id = await tickets.ticket_id_for_call(self.redis, call_id) if call_id else None
        if ticket_id:
            category = (await tickets.get_ticket(self.redis, ticket_id)).get("category")
        return [{**p.public(), "matches": category in p.categories}
                for p in self.lines.partners_for_category(category)]

    # -- agent transfers ----------------------------------------------------------------------------------
    async def transfer(self, call_id: str, partner_name: str, mode: str, agent: str | None) -> dict:
        partner = self._partner(partner_name)
        if not partner.is_open():
            raise TransferError(409, f"{partner.label} is closed now (hours in config/partners.yaml)")
        if call_id in self.attended:
            raise TransferError(409, "an attended transfer of this call is under way: complete or cancel it")
        caller_channel, agent_channel = await self._channels(call_id, agent)
        await transfers.record_transfer(self.redis, call_id, partner=partner.name, label=partner.label,
                                        mode=mode, by=str(agent))
        await self.journal.record(call_id, "transfer_started", partner=partner.name, label=partner.label,
                                  mode=mode, by=agent)
        try:
            if mode == "blind":
                await self.ami.send_action("Redirect", Channel=caller_channel, Context="hotline-transfer",
                                           Exten=partner.name, Priority="1")
            else:
                code = next(p["code"] for p in self.lines.pbx_partners() if p["name"] == partner.name)
                await self.ami.send_action("Atxfer", Channel=agent_channel, Exten=code, Context="hotline-partner-dial")
                self.attended[call_id] = Attended(partner, str(agent), agent_channel, caller_channel)
        except Exception as exc:
            await self._settle(call_id, partner.name, "no_answer", "AMI refused")
            raise TransferError(502, f"Asterisk refused the transfer: {str(exc)[:160]}") from exc
        await self._notify(call_id, partner, mode, str(agent))
        log_event(log, "transfer started", call_id=call_id, partner=partner.name, mode=mode, agent=agent)
        return {"call_id": call_id, "partner": partner.name, "mode": mode, "state": "started"}

    async def complete(self, call_id: str, agent: str | None) -> dict:
        """The agent leaves (hangs up): Asterisk connects the caller with the partner."""
        xfer = self._attended_of(call_id, agent)
        await self.ami.send_action("Hangup", Channel=xfer.agent_channel)
        peer = await self._peer_after_transfer(xfer)
        result = "answered" if peer else "no_answer"
        del self.attended[call_id]
        await self._settle(call_id, xfer.partner.name, result, "ANSWER" if peer else "")
        return {"call_id": call_id, "partner": xfer.partner.name, "result": result}

    async def cancel(self, call_id: str, agent: str | None) -> dict:
        """Back to the caller (AMI CancelAtxfer: Asterisk's atxfer abort)."""
        xfer = self._attended_of(call_id, agent)
        try:
            await self.ami.send_action("CancelAtxfer", Channel=xfer.agent_channel)
        except Exception as exc:
            raise TransferError(502, f"Asterisk could not cancel: {str(exc)[:160]}") from exc
        del self.attended[call_id]
        await self._settle(call_id, xfer.partner.name, "cancelled")
        return {"call_id": call_id, "partner": xfer.partner.name, "result": "cancelled"}

    # -- dialplan transfers (menu, blind): their Dial of the partner -------------------------------------
    async def on_dial(self, event) -> None:
        chanvars = getattr(event, "chanvars", None) or {}
        partner, call_id = chanvars.get(PARTNER_VARIABLE), chanvars.get("HOTLINE_CALL_ID")
        if not partner or not call_id or partner not in self.lines.partner_names:
            return
        try:
            if event.name == "DialBegin":
                await self._menu_transfer_began(call_id, self.lines.partner(partner))
            else:
                status = event.get("DialStatus") or ""
                await self._settle(call_id, partner, "answered" if status == "ANSWER" else "returned", status,
                                   journal=False)
        except Exception as exc:   # a record lost must not stop the AMI event queue
            log_event(log, "transfer record failed", logging.WARNING, call_id=call_id, error=repr(exc))

    async def _menu_transfer_began(self, call_id: str, partner: Partner) -> None:
        if await transfers.pending_transfer(self.redis, call_id, partner.name):
            return      # an agent's blind transfer: recorded when it was asked for
        await transfers.record_transfer(self.redis, call_id, partner=partner.name, label=partner.label,
                                        mode="menu", by="menu")
        await self._notify(call_id, partner, "menu", "menu")

    # -- helpers ------------------------------------------------------------------------------------------
    def _partner(self, name: str) -> Partner:
        if name not in self.lines.partner_names:
            raise TransferError(422, f"unknown partner {name!r}; one of {self.lines.partner_names}")
        return self.lines.partner(name)

    async def _channels(self, call_id: str, agent: str | None) -> tuple[str, str]:
        """(caller's channel, agent's channel): only the agent whose phone holds the call may transfer it."""
        if not agent or await calls.holder_of(self.redis, call_id) != agent:
            raise TransferError(403, "you may only transfer a call your phone holds")
        summary = await self.journal.summary(call_id) or {}
        caller_channel = str(summary.get("channel") or "")
        if not caller_channel or summary.get("ended_at"):
            raise TransferError(409, "the call has ended")
        peer = await self._bridge_peer(caller_channel)
        if calls.endpoint_from(peer) != agent:
            raise TransferError(409, "the caller is not connected to your phone now")
        return caller_channel, peer

    def _attended_of(self, call_id: str, agent: str | None) -> Attended:
        xfer = self.attended.get(call_id)
        if xfer is None:
            raise TransferError(409, "no attended transfer of this call is under way")
        if xfer.agent != agent:
            raise TransferError(403, "another agent's transfer")
        return xfer

    async def _peer_after_transfer(self, xfer: Attended) -> str:
        """The partner's channel the caller is bridged with once the agent left; "" when none answered.
        Without media flowing the Local channel of [hotline-partner-dial] may stay: look through it."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            peer = await self._bridge_peer(xfer.caller_channel)
            if peer.startswith("Local/") and peer.endswith(";1"):
                peer = await self._bridge_peer(peer[:-1] + "2")    # the partner, once it answered
            if peer and calls.endpoint_from(peer) != xfer.agent and not peer.startswith("Local/"):
                return peer
            await asyncio.sleep(0.2)
        return ""

    async def _bridge_peer(self, channel: str) -> str:
        try:
            reply = await self.ami.send_action("Getvar", Channel=channel, Variable="BRIDGEPEER")
        except Exception:
            return ""           # the channel is gone
        return reply.get("Value") or ""

    async def _settle(self, call_id: str, partner: str, result: str, status: str = "", *,
                      journal: bool = True) -> None:
        """The ticket's transfer gets its result; the journal its event (menu and blind transfers are
        journaled by ivr from the DialEnd itself: journal=False)."""
        await transfers.transfer_result(self.redis, call_id, partner, result, status)
        if journal:
            await self.journal.record(call_id, f"transfer_{result}", partner=partner, status=status)

    async def _notify(self, call_id: str, partner: Partner, mode: str, by: str) -> None:
        """The draft ticket to the partner's webhook (docs/partners.md): at once, retried in the background."""
        sender = self.webhooks.get(partner.name)
        if sender is None or not sender.enabled:
            return
        ticket_id = await tickets.ticket_id_for_call(self.redis, call_id)
        ticket = tickets.agent_view(await tickets.get_ticket(self.redis, ticket_id)) if ticket_id else None
        payload = {"type": "partner_transfer", "partner": partner.name, "partner_label": partner.label,
                   "mode": mode, "transferred_by": by, "transferred_at": round(time.time(), 3),
                   "call_id": call_id, "ticket": ticket}
        sender.submit(payload, call_id=call_id, partner=partner.name,
                      caller=mask_number((ticket or {}).get("caller")))
