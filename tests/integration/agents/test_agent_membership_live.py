"""Console queue actions against the real app_queue: dynamic agents join/leave, static ones are paused,
and the state shown comes from Asterisk (QueueStatus + QueueMember* events)."""

import pytest

from hotline.agents.service import MEMBER_EVENTS, AgentsFeature
from hotline.auth.service import get_directory
from hotline.core.lines import load_lines
from telephony.ami.manager import AmiManager

from helpers import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def feature(settings, pbx, redis):
    ami = AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
                     ping_interval=1.0, action_timeout=5.0)
    agents = AgentsFeature(redis, ami, load_lines(settings.queues_file))
    ami.on_event(MEMBER_EVENTS, agents.membership.on_member_event)
    ami.on_connect(agents.resync)
    await ami.connect()
    yield agents
    for user in get_directory().agents():  # leave the sandbox as queues.conf made it
        try:
            await agents.membership.logout(user)
            if any(q["membership"] == "static" for q in agents.membership.state(user)["queues"]):
                await agents.membership.login(user)
        except Exception:
            pass
    await ami.close()


async def test_dynamic_agent_login_pause_logout(feature):
    user = get_directory().get("agent4")  # serves general + tourism, not in queues.conf
    state = await feature.membership.login(user)
    assert sorted(q["queue"] for q in state["queues"]) == ["general", "tourism"]
    assert all(q["membership"] == "dynamic" and not q["paused"] for q in state["queues"])
    state = await feature.membership.pause(user, True, "培训")
    assert state["paused"] and {q["reason"] for q in state["queues"]} == {"培训"}
    # a change made behind the console's back (CLI, another tool) shows up from the events
    await feature.ami.send_action("QueuePause", Queue="hotline-tourism", Interface="PJSIP/agent4", Paused="false")
    await eventually(lambda: not feature.membership.members["agent4"]["tourism"]["paused"], 5.0,
                     "agent4 unpaused in tourism")
    state = await feature.membership.logout(user)
    assert state["queues"] == [] and not state["logged_in"]


async def test_static_member_logout_pauses_it(feature):
    user = get_directory().get("agent1")  # queues.yaml makes agent1 a static member of business
    await feature.membership.refresh(user)
    entry = feature.membership.state(user)["queues"]
    assert [(e["queue"], e["membership"]) for e in entry] == [("business", "static")]
    state = await feature.membership.logout(user)
    assert state["queues"][0]["logged_out"] and not state["logged_in"]
    state = await feature.membership.login(user)
    assert state["logged_in"] and not state["paused"]


async def test_resync_after_connect_reads_every_agent(feature):
    feature.membership.members = {}
    await feature.membership.resync()
    members = feature.membership.members  # endpoint -> queue -> entry, as QueueStatus reports them
    assert {agent: sorted(members.get(agent, {})) for agent in ("agent1", "agent2", "agent3")} == {
        "agent1": ["business"], "agent2": ["tourism"], "agent3": ["general"]}  # queues.yaml static members
    assert all(e["membership"] == "static" for agent in ("agent1", "agent2", "agent3")
               for e in members[agent].values())
