"""Console in Chromium against the real app (uvicorn, Redis, tickets API); AgentConnect is injected into the
service (the real-call version is tests/integration/agents/test_screen_pop.py)."""
import asyncio
from types import SimpleNamespace

import pytest

from hotline.agents.service import AgentsFeature
from hotline.api.app import create_app
from hotline.runtime import Features
from hotline.tickets import service as tickets
from telephony.ami.message import Message

from agents_fake_pbx import FakeQueueAmi
from agents_users import UNIT_LINES
from helpers import ARTIFACTS, serving

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
async def server(unit_redis, users_yaml, free_port):
    runtime = SimpleNamespace(redis=unit_redis, ami=FakeQueueAmi(), settings=None, features=Features(),
                              lines=UNIT_LINES)
    feature = runtime.features.agents = AgentsFeature(runtime.redis, runtime.ami, runtime.lines)
    consumer = asyncio.create_task(feature.consume_ticket_events(block_ms=200))
    app = create_app(runtime)
    async with serving(app, free_port()) as port:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", feature=feature, redis=unit_redis)
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)


async def login(browser, url, username, password):
    page = await (await browser.new_context()).new_page()
    await page.goto(url + "/console")
    await page.wait_for_url("**/login?next=/console")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")  # keyboard: Enter submits
    await page.wait_for_url("**/console")
    await playwright_api.expect(page.locator("#link-state")).to_have_text("已连接")
    return page


def agent_connect(endpoint, call_id, caller):
    return Message({"Event": "AgentConnect", "Queue": "hotline-general", "Interface": f"PJSIP/{endpoint}",
                    "MemberName": endpoint, "Channel": "PJSIP/callers-00000001", "CallerIDNum": caller,
                    "HoldTime": "7", "ChanVariable": [f"HOTLINE_CALL_ID={call_id}"]})


def _word(text, start, probability):
    return {"text": text, "start": start, "end": start + 0.4, "probability": probability}


HANZI_PASS = {"text": "我家小区暖气不热，已经三天了", "engine": "whisper",
              "tokens": [_word("我家", 0.0, 0.9), _word("小区", 0.4, 0.8), _word("暖气", 0.8, 0.95),
                         _word("不热", 1.2, 0.31), _word("已经", 1.8, 0.9), _word("三天了", 2.2, 0.85)]}


async def test_console_pop_update_reconnect_submit(server, chromium):
    expect = playwright_api.expect
    agent1 = await login(chromium, server.url, "agent1", "pw-agent1")
    agent2 = await login(chromium, server.url, "agent2", "pw-agent2")

    await agent1.click("#queue-login")
    await expect(agent1.locator("#state-summary")).to_have_text("空闲可接听")
    await agent1.click("#pause")
    await expect(agent1.locator("#state-summary")).to_have_text("示忙（小休）")
    await agent1.click("#resume")
    await expect(agent1.locator("#state-summary")).to_have_text("空闲可接听")

    call = {"call_id": "c-100", "caller": "13812345678", "route": "general", "started_at": str(__import__("time").time())}
    await server.redis.hset("hotline:call:c-100", mapping=call)
    draft = await tickets.open_draft(server.redis, call, UNIT_LINES)
    await server.feature.on_call_event(agent_connect("agent1", "c-100", "13812345678"))

    await expect(agent1.locator("#caller-number")).to_have_text("13812345678")
    await expect(agent1.locator("#call-line")).to_have_text("综合服务")
    await expect(agent1.locator("#wait-time")).to_have_text("7 秒")
    await expect(agent1.locator("#countdown")).to_contain_text("剩余")
    await expect(agent1.locator("#ticket-id")).to_have_text(draft["id"])

    # ASR finishes after the connect: the form updates live
    await tickets.attach_transcript(server.redis, "c-100", {"text": "我家小区暖气不热已经三天了", "keywords": ["暖气"],
                                                            "pinyin": "wǒ jiā xiǎo qū nuǎn qì bú rè"},
                                    lines=UNIT_LINES)
    await expect(agent1.locator("#transcript")).to_have_text("我家小区暖气不热已经三天了")
    await expect(agent1.locator("#category")).to_have_value("供暖")

    # the 汉字 pass follows: its text replaces the fast pass's, the unsure word is marked, pinyin and hits
    # are one click away, and a suggested 诉求摘要 waits for the agent
    await tickets.attach_transcript(server.redis, "c-100", HANZI_PASS, pass_name="hanzi", lines=UNIT_LINES)
    await expect(agent1.locator("#transcript-label")).to_have_text("语音转写（机器识别，可能有误）")
    await expect(agent1.locator("#transcript")).to_have_text("我家小区暖气不热，已经三天了")
    await expect(agent1.locator("#transcript .unsure")).to_have_text("不热")
    await expect(agent1.locator("#transcript-pinyin")).not_to_be_visible()
    await agent1.click("#transcript-details summary")
    await expect(agent1.locator("#transcript-pinyin")).to_have_text("wǒ jiā xiǎo qū nuǎn qì bú rè")
    await expect(agent1.locator("#keyword-hits .chip").first).to_have_text("暖气")
    suggestion = "来电人求助（供暖）：我家小区暖气不热，已经三天了。"
    await expect(agent1.locator("#suggested-summary")).to_have_text(suggestion)
    assert (await tickets.get_ticket(server.redis, draft["id"]))["summary"] == ""  # only a suggestion

    # the browser reloads mid-call: the pop is replayed
    await agent1.reload()
    await expect(agent1.locator("#caller-number")).to_have_text("13812345678")
    await expect(agent1.locator("#transcript")).to_have_text("我家小区暖气不热，已经三天了")

    await agent1.click("#accept-summary")
    await expect(agent1.locator("#summary")).to_have_value(suggestion)
    await agent1.fill("#summary", "小区暖气不热三天，请热力公司上门检修")  # the agent edits the suggestion
    await agent1.select_option("#request-type", "求助")
    await agent1.press("#location", "Enter")  # Enter submits the ticket
    await expect(agent1.locator("#ticket-message")).to_have_text("工单已提交")
    await expect(agent1.locator("#ticket-status")).to_have_text("已提交")
    stored = await tickets.get_ticket(server.redis, draft["id"])
    assert stored["status"] == "submitted" and stored["agent"] == "agent1"
    ARTIFACTS.mkdir(exist_ok=True)
    await agent1.screenshot(path=str(ARTIFACTS / "console-unit.png"), full_page=True)

    # a silent recording: the pop says so and shows no invented text
    call = {"call_id": "c-101", "caller": "13812345679", "route": "general"}
    await server.redis.hset("hotline:call:c-101", mapping=call)
    await tickets.open_draft(server.redis, call, UNIT_LINES)
    await server.feature.on_call_event(agent_connect("agent1", "c-101", "13812345679"))
    await expect(agent1.locator("#caller-number")).to_have_text("13812345679")
    await tickets.attach_transcript(server.redis, "c-101", {"no_speech": True, "text": "", "engine": "whisper"},
                                    pass_name="hanzi", lines=UNIT_LINES)
    await expect(agent1.locator("#transcript")).to_have_text("未识别到语音")
    await expect(agent1.locator("#summary-suggestion")).to_be_hidden()
    await agent1.screenshot(path=str(ARTIFACTS / "console-unit-no-speech.png"), full_page=True)

    # agent2 never saw any of it
    await expect(agent2.locator("#banner-empty")).to_be_visible()
    assert await server.redis.xlen("hotline:screenpop:agent2") == 0
