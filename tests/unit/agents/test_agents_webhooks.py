"""Agents' use of the shared webhook sender: users.yaml `webhooks`, and what a pop / submit POSTs."""
import httpx
import pytest

from hotline.agents.events import WebhookEvent
from hotline.agents.notifier import Notifier
from hotline.agents.screenpop import ScreenPop
from hotline.auth import service as auth
from hotline.auth.users import UsersFileError, load_directory
from hotline.core.webhooks import WebhookConfig, WebhookSender
from telephony.ami.message import Message

from agents_users import UNIT_LINES, write_users


def test_users_yaml_webhooks_block(tmp_path):
    hooks = {"urls": ["http://127.0.0.1:9000/hotline"], "timeout_seconds": 2, "max_attempts": 3,
             "backoff_seconds": 0.25}
    directory = load_directory(write_users(tmp_path / "users.yaml", webhooks=hooks))
    assert directory.webhooks == WebhookConfig(**hooks)
    assert load_directory(write_users(tmp_path / "plain.yaml")).webhooks.urls == []
    with pytest.raises(UsersFileError, match="webhooks.urls"):
        load_directory(write_users(tmp_path / "bad.yaml", webhooks={"urls": ["ftp://x"]}))


async def test_pop_and_submitted_update_are_posted_as_webhook_events(unit_redis, users_yaml):
    posted = []
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: posted.append(r) or httpx.Response(200)))
    sender = WebhookSender(WebhookConfig(urls=["http://127.0.0.1:9/hook"]), client, name="agents")
    pop = ScreenPop(unit_redis, None, Notifier(unit_redis, maxlen=50), auth.get_directory, sender, lines=UNIT_LINES)
    await pop.on_agent_connect(Message({"Event": "AgentConnect", "Interface": "PJSIP/agent1",
                                        "ChanVariable": ["HOTLINE_CALL_ID=c-1"]}))
    for kind in ("transcribed", "submitted"):   # only `submitted` is posted
        await pop.on_ticket_event({"ticket_id": "t-1", "call_id": "c-1", "kind": kind})
    await sender.drain()
    events = [WebhookEvent.model_validate_json(r.read()) for r in posted]
    assert [(e.event, e.type, e.agent) for e in events] == [("screen_pop", "pop", "agent1"),
                                                            ("ticket_submitted", "update", "agent1")]
