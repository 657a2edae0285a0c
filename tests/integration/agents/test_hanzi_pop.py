"""The 汉字 pass reaches the agent: a real call (key 9, a real Mandarin recording) → Asterisk records the
description → `hotline asr worker` (both passes, default settings) → the tourism agent's pop shows the
simplified-汉字 transcript, and the ticket's category agrees with it; a silent caller shows 未识别到语音.
The knowledge base rides on the same call: an article an admin just added is among the pop's hints once the
transcript arrives, an expired one about the same thing is not, and the agent copies the answer into the
ticket's reply."""
import json
import re

import httpx
import numpy as np
import pytest
from playwright.async_api import expect
from test_screen_pop import console_for

from asr.audio import save_wav
from asr.engines.whisper import whisper_model_dir
from asr.hanzi import to_simplified
from hotline.commands.samples import SampleError, sample_clip
from hotline.tickets.classifier import classify

from helpers import ARTIFACTS, eventually, new_caller

pytestmark = pytest.mark.integration
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def tourism_clip(settings):
    if not (whisper_model_dir(settings) / "model.bin").is_file():
        pytest.skip(f"needs whisper-base at {whisper_model_dir(settings)}: run `hotline models install whisper-base`")
    try:
        return sample_clip(settings, "tourism")  # 开放时间早上九点至下午五点 (config/samples.yaml)
    except SampleError as exc:
        pytest.skip(str(exc))


async def _ticket(redis, page) -> dict:
    ticket_id = (await page.locator("#ticket-id").text_content()).strip()
    return json.loads(await redis.get(f"hotline:ticket:{ticket_id}"))


async def _hanzi_done(redis, page) -> dict | None:
    ticket = await _ticket(redis, page)
    return ticket if ticket["hanzi"]["status"] != "pending" else None


async def _call(settings, sipp, audio) -> str:
    caller = new_caller()
    sipp.caller(settings.hotline_number, caller_id=caller, steps=[
        ("pause", 1.0), ("dtmf", "9"), ("pause", 6.0), ("audio", audio), ("dtmf", "#"), ("pause", 40.0)]).start()
    return caller


OPENING_HOURS = {"title": "景区开放时间", "body": "各景区**开放时间**一般为早上九点至下午五点，节假日延长。",
                 "categories": ["旅游/民宿/景区"], "keywords": ["开放时间", "几点开门"], "lines": ["tourism"]}
EXPIRED = OPENING_HOURS | {"title": "景区开放时间（去年夏季）", "valid_until": "2025-09-30"}


async def _add_articles(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        login = await http.post("/api/auth/login", json={"username": "admin", "password": "admin@12345"})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        for article in (OPENING_HOURS, EXPIRED):
            assert (await http.post("/api/kb/articles", json=article, headers=headers)).status_code == 201


async def test_real_recording_pops_as_simplified_hanzi_and_silence_as_no_speech(
        settings, agents_controller, asr_worker, chromium, sipp, redis, tourism_clip, tmp_path):
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    await _add_articles(base_url)
    phone = sipp.agent_phone(2, answer_delay=0.5, talk_seconds=20.0)
    agent2 = await console_for(chromium, base_url, "agent2")  # tourism (config/users.yaml)

    caller = await _call(settings, sipp, tourism_clip)
    await phone.wait_for("ANSWERED", caller=caller, timeout=60)
    await expect(agent2.locator("#caller-number")).to_have_text(caller, timeout=10_000)
    await expect(agent2.locator("#transcript-label")).to_have_text("语音转写（机器识别，可能有误）")
    ticket = await eventually(lambda: _hanzi_done(redis, agent2), 60, "the 汉字 pass on the ticket")
    hanzi = ticket["hanzi"]
    transcript = agent2.locator("#transcript")
    await expect(transcript).to_have_text(hanzi["text"], timeout=10_000)  # the 汉字 pass, live into the pop
    shown = (await transcript.text_content()).strip()
    assert hanzi["status"] == "done" and hanzi["engine"] == "whisper" and HAN.search(shown)
    assert to_simplified(shown) == shown and "开放时间" in shown, shown
    assert ticket["transcript"]["engine"] == "sherpa-onnx" and ticket["transcript"]["text"] == ""
    agreed = classify(hanzi["text"], None, [], "tourism")
    assert ticket["line"] == "tourism" and ticket["category"] == agreed.category == "旅游/民宿/景区"
    assert "开放时间" in ticket["matched"]  # from the words, not only the line
    assert ticket["summary"] == "" and "开放时间" in ticket["suggested_summary"]
    await expect(agent2.locator("#suggested-summary")).to_contain_text("开放时间")
    recorded = next(e["t"] for e in (await redis.lrange(f"hotline:call:{ticket['call_id']}:journal", 0, -1))
                    for e in [json.loads(e)] if e["event"] == "recording")
    done = next(a["t"] for a in ticket["audit"] if a["changes"].get("pass") == "hanzi")
    print(f"recording end -> 汉字 transcript on the ticket: {done - recorded:.2f} s")
    hints = agent2.locator("#kb-hints")   # knowledge base: refreshed with the transcript
    await expect(hints.locator("li .title").first).to_have_text(OPENING_HOURS["title"], timeout=10_000)
    await expect(hints).not_to_contain_text(EXPIRED["title"])
    await hints.locator("li .copy").first.click()
    await expect(agent2.locator("#reply")).to_have_value(re.compile("开放时间一般为早上九点至下午五点"))
    await agent2.click("#save-ticket")
    await expect(agent2.locator("#ticket-message")).to_have_text("已保存")
    assert "开放时间" in (await _ticket(redis, agent2))["reply"]
    await agent2.click("#transcript-details summary")  # pinyin and keyword hits: one click away
    await expect(agent2.locator("#transcript-pinyin")).not_to_have_text("—")
    ARTIFACTS.mkdir(exist_ok=True)
    await agent2.screenshot(path=str(ARTIFACTS / "console-hanzi.png"), full_page=True)

    # the next caller says nothing: no invented text
    silence = save_wav(tmp_path / "silence.wav", np.zeros(8000 * 5, np.float32), 8000)
    quiet = await _call(settings, sipp, silence)
    await phone.wait_for("ANSWERED", caller=quiet, timeout=90)
    await expect(agent2.locator("#caller-number")).to_have_text(quiet, timeout=10_000)
    ticket = await eventually(lambda: _hanzi_done(redis, agent2), 60, "the 汉字 pass on the silent call's ticket")
    await expect(transcript).to_have_text("未识别到语音", timeout=10_000)
    assert ticket["hanzi"]["status"] == "no_speech" and ticket["hanzi"]["text"] == ""
    await expect(agent2.locator("#summary-suggestion")).to_be_hidden()
    await agent2.screenshot(path=str(ARTIFACTS / "console-hanzi-no-speech.png"), full_page=True)
