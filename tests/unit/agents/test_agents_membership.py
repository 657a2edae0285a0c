"""Console queue actions map to app_queue AMI actions; the state shown is what QueueStatus/events say."""
import pytest

from hotline.agents.membership import LOGGED_OUT_REASON, Membership, MembershipError
from hotline.auth import service as auth
from telephony.ami.message import Message

from agents_fake_pbx import FakeQueueAmi
from agents_users import UNIT_LINES


@pytest.fixture
def changes():
    return []


def make(users_yaml, changes, static=None):
    ami = FakeQueueAmi(static)
    return ami, Membership(ami, auth.get_directory, lambda agent, state: changes.append((agent, state)), UNIT_LINES)


async def test_login_pause_resume_logout_dynamic(users_yaml, changes):
    ami, membership = make(users_yaml, changes)
    user = auth.get_directory().get("agent1")
    state = await membership.login(user)
    assert ("QueueAdd", {"Queue": "hotline-general", "Interface": "PJSIP/agent1", "MemberName": "agent1",
                         "StateInterface": "PJSIP/agent1", "Paused": "false"}) in ami.sent
    assert state["logged_in"] and not state["paused"]
    assert state["queues"][0]["queue"] == "general" and state["queues"][0]["label"] == "综合服务"
    state = await membership.pause(user, True, "小休")
    assert state["paused"] and state["queues"][0]["reason"] == "小休"
    assert not (await membership.pause(user, False))["paused"]
    state = await membership.logout(user)
    assert not state["logged_in"] and state["queues"] == []
    assert changes and changes[-1][0] == "agent1"


async def test_static_member_is_paused_not_removed(users_yaml, changes):
    ami, membership = make(users_yaml, changes, static={"hotline-general": ["PJSIP/agent2"]})
    user = auth.get_directory().get("agent2")
    state = await membership.logout(user)
    assert not any(name == "QueueRemove" for name, _ in ami.sent)
    assert state["queues"][0]["logged_out"] and not state["logged_in"]
    assert ami.members[("hotline-general", "PJSIP/agent2")]["PausedReason"] == LOGGED_OUT_REASON
    state = await membership.login(user)
    assert state["logged_in"] and not state["paused"]


async def test_pause_when_logged_out_is_a_clear_error(users_yaml, changes):
    _, membership = make(users_yaml, changes)
    await membership.refresh(auth.get_directory().get("agent1"))
    with pytest.raises(MembershipError, match="未签入"):
        await membership.pause(auth.get_directory().get("agent1"), True, "小休")


def test_member_events_update_state_for_known_agents_only(users_yaml, changes):
    _, membership = make(users_yaml, changes)
    membership.on_member_event(Message({"Event": "QueueMemberAdded", "Queue": "hotline-business",
                                        "Interface": "PJSIP/agent2", "Membership": "dynamic", "Status": "6",
                                        "Paused": "0"}))
    membership.on_member_event(Message({"Event": "QueueMemberAdded", "Queue": "hotline-business",
                                        "Interface": "PJSIP/stranger", "Status": "1", "Paused": "0"}))
    assert [agent for agent, _ in changes] == ["agent2"]
    assert changes[0][1]["queues"][0]["status_text"] == "振铃"
    membership.on_member_event(Message({"Event": "QueueMemberRemoved", "Queue": "hotline-business",
                                        "Interface": "PJSIP/agent2"}))
    assert changes[-1][1]["queues"] == []
