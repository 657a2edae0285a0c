"""The console's 一键转接 without a PBX: who may transfer, the AMI actions sent, the ticket's transfer records and
the journal, with a fake AMI that answers Getvar BRIDGEPEER like Asterisk."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from hotline.agents import calls
from hotline.core.lines import parse_lines
from hotline.partners.http import TransferRequest
from hotline.partners.service import PartnersFeature, TransferError
from hotline.tickets import service as tickets
from ivr.journal import Journal

CALL, CALLER_CHANNEL, AGENT_CHANNEL = "20261128-101500-abcdef", "PJSIP/callers-00000001", "PJSIP/agent1-00000002"
LINES = parse_lines({"queues": [{"name": "general", "label": "综合服务"}], "partners": [
    {"name": "water", "label": "供水", "endpoint": "partner-water", "categories": ["供水/排水"]},
    {"name": "gas", "label": "燃气", "endpoint": "partner-gas", "categories": ["燃气"]},
    {"name": "heat", "label": "供热", "endpoint": "partner-heat", "hours": [{"days": [], "start": "08:00"}]}]})


class FakeAmi:
    def __init__(self) -> None:
        self.actions: list[tuple[str, dict]] = []
        self.peers = {CALLER_CHANNEL: AGENT_CHANNEL}

    def on_event(self, names, handler) -> None:
        self.handler = handler

    async def send_action(self, name: str, **headers):
        self.actions.append((name, headers))
        if name == "Getvar":
            return {"Value": self.peers.get(headers["Channel"], "")}
        if name == "Hangup":       # the agent leaves: Asterisk bridges the caller with the consultation leg
            self.peers[CALLER_CHANNEL] = "Local/7102@hotline-partner-dial-00000000;1"
            self.peers["Local/7102@hotline-partner-dial-00000000;2"] = "PJSIP/partner-gas-00000003"
        return {"Response": "Success"}


@pytest.fixture
async def feature(unit_redis):
    await Journal(unit_redis).open(CALL, caller="13812345678", channel=CALLER_CHANNEL)
    await tickets.open_draft(unit_redis, {"call_id": CALL, "caller": "13812345678", "route": "general"}, LINES)
    await calls.hold(unit_redis, CALL, "agent1")
    partners = PartnersFeature(unit_redis, FakeAmi(), LINES)
    await partners.start()
    yield partners
    await partners.stop()


async def transfers_of(redis) -> list[tuple]:
    ticket_id = await tickets.ticket_id_for_call(redis, CALL)
    ticket = json.loads(await redis.get(f"hotline:ticket:{ticket_id}"))
    return [(t["partner"], t["mode"], t["by"], t["result"], t["status"]) for t in ticket["transfers"]]


async def journal_events(redis) -> list[str]:
    return [e["event"] for e in (await Journal(redis).get(CALL))["events"]]


@pytest.mark.parametrize("partner, agent, status", [
    ("water", "agent2", 403),       # only the agent whose phone holds the call
    ("water", None, 403),           # a user without a phone
    ("sewer", "agent1", 422),
    ("heat", "agent1", 409),        # closed (no opening day)
])
async def test_refused_transfers(feature, partner, agent, status):
    with pytest.raises(TransferError) as refused:
        await feature.transfer(CALL, partner, "blind", agent)
    assert refused.value.status == status
    assert not [a for a, _ in feature.ami.actions if a in ("Redirect", "Atxfer")]


async def test_caller_not_bridged_with_the_agent_is_refused(feature):
    feature.ami.peers[CALLER_CHANNEL] = "PJSIP/agent3-00000009"
    with pytest.raises(TransferError, match="not connected to your phone"):
        await feature.transfer(CALL, "water", "blind", "agent1")


async def test_blind_transfer_redirects_the_caller_and_the_dial_settles_it(feature, unit_redis):
    await feature.transfer(CALL, "water", "blind", "agent1")
    assert feature.ami.actions[-1] == ("Redirect", {"Channel": CALLER_CHANNEL, "Context": "hotline-transfer",
                                                    "Exten": "water", "Priority": "1"})
    assert await transfers_of(unit_redis) == [("water", "blind", "agent1", "pending", "")]
    chanvars = {"HOTLINE_CALL_ID": CALL, "HOTLINE_TRANSFER_PARTNER": "water"}
    dial = lambda name, **h: SimpleNamespace(name=name, chanvars=chanvars, get=lambda k, d=None: h.get(k, d))  # noqa: E731
    await feature.on_dial(dial("DialBegin"))      # already recorded: no second record
    await feature.on_dial(dial("DialEnd", DialStatus="ANSWER"))
    assert await transfers_of(unit_redis) == [("water", "blind", "agent1", "answered", "ANSWER")]
    assert "transfer_started" in await journal_events(unit_redis)


async def test_menu_transfer_is_recorded_from_the_dial_and_comes_back(feature, unit_redis):
    chanvars = {"HOTLINE_CALL_ID": CALL, "HOTLINE_TRANSFER_PARTNER": "gas"}
    dial = lambda name, **h: SimpleNamespace(name=name, chanvars=chanvars, get=lambda k, d=None: h.get(k, d))  # noqa: E731
    await feature.on_dial(dial("DialBegin"))
    await feature.on_dial(dial("DialEnd", DialStatus="NOANSWER"))
    assert await transfers_of(unit_redis) == [("gas", "menu", "menu", "returned", "NOANSWER")]


async def test_attended_transfer_completes_through_the_consultation_leg(feature, unit_redis):
    await feature.transfer(CALL, "gas", "attended", "agent1")
    assert feature.ami.actions[-1] == ("Atxfer", {"Channel": AGENT_CHANNEL, "Exten": "7102",
                                                  "Context": "hotline-partner-dial"})
    with pytest.raises(TransferError, match="under way"):
        await feature.transfer(CALL, "water", "blind", "agent1")
    with pytest.raises(TransferError, match="another agent"):
        await feature.complete(CALL, "agent2")
    assert await feature.complete(CALL, "agent1") == {"call_id": CALL, "partner": "gas", "result": "answered"}
    assert ("Hangup", {"Channel": AGENT_CHANNEL}) in feature.ami.actions
    assert await transfers_of(unit_redis) == [("gas", "attended", "agent1", "answered", "ANSWER")]
    assert (await journal_events(unit_redis))[-2:] == ["transfer_started", "transfer_answered"]


async def test_attended_transfer_cancelled(feature, unit_redis):
    await feature.transfer(CALL, "gas", "attended", "agent1")
    assert (await feature.cancel(CALL, "agent1"))["result"] == "cancelled"
    assert feature.ami.actions[-1] == ("CancelAtxfer", {"Channel": AGENT_CHANNEL})
    assert await transfers_of(unit_redis) == [("gas", "attended", "agent1", "cancelled", "")]
    with pytest.raises(TransferError, match="no attended transfer"):
        await feature.cancel(CALL, "agent1")


async def test_partner_list_puts_the_tickets_category_first(feature, unit_redis):
    ticket_id = await tickets.ticket_id_for_call(unit_redis, CALL)
    await tickets.update_ticket(unit_redis, ticket_id, {"category": "燃气"}, "agent1")
    listed = await feature.partners_for_call(CALL)
    assert [(p["name"], p["matches"], p["open"]) for p in listed] == \
        [("gas", True, True), ("water", False, True), ("heat", False, False)]
    assert "webhook" not in listed[0]


def test_transfer_request_is_strict():
    with pytest.raises(ValueError):
        TransferRequest.model_validate({"partner": "water", "mode": "conference"})
    with pytest.raises(ValueError):
        TransferRequest.model_validate({"partner": "water", "extra": 1})
    assert TransferRequest.model_validate({"partner": "water"}).mode == "blind"
