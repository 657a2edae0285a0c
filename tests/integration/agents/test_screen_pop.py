"""A real call pops on the right agent's console: SIPp caller -> Asterisk 22 -> controller call flow
(menu key 1, description recorded) -> app_queue -> agent1's SIPp phone answers -> AgentConnect over AMI ->
WebSocket -> Chromium logged in as agent1. The agent edits and submits the ticket; agent2 sees nothing."""
import json
import time

import pytest
from playwright.async_api import expect

from helpers import ARTIFACTS

pytestmark = pytest.mark.integration
CALLER = "13912345678"


async def console_for(browser, base_url: str, username: str):
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(base_url + "/login")
    await page.fill("#username", username)
    await page.fill("#password", f"{username}@12345")  # demo password (config/users.yaml)
    await page.press("#password", "Enter")
    await page.wait_for_url("**/console")
    await expect(page.locator("#link-state")).to_have_text("已连接", timeout=10_000)
    await page.click("#queue-login")  # 签入: join the queues through AMI
    await expect(page.locator("#state-summary")).to_have_text("空闲可接听", timeout=10_000)
    return page


async def test_real_call_pops_on_the_answering_agent(settings, agents_controller, asr_worker, chromium, sipp, redis):
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    phones = [sipp.agent_phone(n, answer_delay=0.5) for n in (1, 2)]
    agent1 = await console_for(chromium, base_url, "agent1")
    agent2 = await console_for(chromium, base_url, "agent2")

    speech = settings.asr_model_dir / "test_wavs" / "1.wav"  # real Mandarin speech
    caller = sipp.caller(settings.hotline_number, caller_id=CALLER, steps=[
        ("pause", 1.0), ("dtmf", "1"), ("pause", 6.0), ("audio", speech), ("dtmf", "#"), ("pause", 45.0)])
    started = time.time()
    caller.start()

    # the queue (business: agent1) rings agent1's phone, it answers, and the console pops
    await phones[0].wait_for("ANSWERED", caller=CALLER, timeout=60)
    await expect(agent1.locator("#caller-number")).to_have_text(CALLER, timeout=10_000)
    await expect(agent1.locator("#call-line")).to_have_text("企业服务")
    await expect(agent1.locator("#call-status")).to_have_text("通话中")
    await expect(agent1.locator("#countdown")).to_contain_text("秒")
    ticket_id = (await agent1.locator("#ticket-id").text_content()).strip()
    assert ticket_id, "the pop carries the draft ticket"
    pop_seen = time.time()

    # the recording's transcript reaches the form (in the pop, or live when ASR finishes after the connect)
    await expect(agent1.locator("#transcript")).not_to_have_text("（语音转写中…）", timeout=60_000)
    await expect(agent1.locator("#transcript")).not_to_have_text("（无转写）")

    # browser disconnects and reconnects during the call: the pop is still there
    await agent1.evaluate("socket.close()")
    await expect(agent1.locator("#link-state")).to_have_text("已连接", timeout=10_000)
    await agent1.reload()
    await expect(agent1.locator("#caller-number")).to_have_text(CALLER, timeout=10_000)
    await expect(agent1.locator("#ticket-id")).to_have_text(ticket_id)

    # the agent completes and submits the ticket from the keyboard
    await agent1.fill("#summary", "来电人反映企业办事问题，请相关部门核实处理")
    await agent1.select_option("#request-type", "咨询")
    await agent1.select_option("#category", "营商/企业办事")
    await agent1.press("#location", "Enter")
    await expect(agent1.locator("#ticket-message")).to_have_text("工单已提交", timeout=10_000)
    stored = json.loads(await redis.get(f"hotline:ticket:{ticket_id}"))
    assert stored["status"] == "submitted" and stored["agent"] == "agent1"
    assert stored["category"] == "营商/企业办事" and stored["summary"].startswith("来电人反映")
    call = await redis.hgetall(f"hotline:call:{stored['call_id']}")
    assert call.get("agent") == "agent1"

    ARTIFACTS.mkdir(exist_ok=True)
    await agent1.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)

    # agent2 (tourism) never received this call
    await expect(agent2.locator("#banner-empty")).to_be_visible()
    assert await redis.xlen("hotline:screenpop:agent2") == 0
    assert phones[1].events_for(CALLER) == []

    pops = [json.loads(f["data"]) for _, f in await redis.xrange("hotline:screenpop:agent1")]
    assert [p["type"] for p in pops if p["type"] == "pop"] == ["pop"]
    print(f"pop shown {pop_seen - started:.1f}s after the call started")
