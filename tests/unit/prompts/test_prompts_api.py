"""The prompt API (issue 12 items 2 and 7): supervisors list and listen, admins change; every change audited
with text, source, duration and sha256 (never audio); refusals say why and change nothing."""
from __future__ import annotations

import hashlib
from types import SimpleNamespace

import httpx
import pytest

from hotline.admin import audit
from hotline.api.app import create_app
from hotline.prompts import audio
from hotline.runtime import Features

from agents_users import PASSWORDS, UNIT_LINES
from prompt_audio import tone


@pytest.fixture
async def api(unit_redis, prompt_settings, users):
    runtime = SimpleNamespace(redis=unit_redis, settings=prompt_settings, ami=None, features=Features(),
                              lines=UNIT_LINES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://t") as http:
        async def as_user(username: str) -> httpx.AsyncClient:
            login = await http.post("/api/auth/login", json={"username": username, "password": PASSWORDS[username]})
            http.headers["Authorization"] = f"Bearer {login.json()['token']}"
            return http
        yield as_user


async def test_admin_uploads_and_the_change_is_audited(api, unit_redis, tmp_path):
    http = await api("admin")
    listed = (await http.get("/api/prompts")).json()
    before = {p["name"]: p for p in listed["prompts"]}["welcome"]
    assert listed["limits"]["max_seconds"] == audio.MAX_SECONDS and before["source"] == "default"

    wav = tone(tmp_path / "my recording.wav", 1.2, hz=500)
    response = await http.put("/api/prompts/welcome/recording", files={"file": ("../x.wav", wav.read_bytes())},
                              data={"note": "新年问候"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["source"], after["duration"], after["updated_by"]) == ("uploaded", 1.2, "admin")

    served = await http.get("/api/prompts/welcome/audio")
    assert served.headers["content-type"] == "audio/wav" and served.content[:4] == b"RIFF"
    assert hashlib.sha256(served.content).hexdigest() == after["sha256"]

    [entry] = await audit.entries(unit_redis, action="prompt")
    assert (entry["action"], entry["target"], entry["actor"], entry["note"]) == (
        "prompt.upload", "prompt:welcome", "admin", "新年问候")
    assert entry["before"] == {k: before[k] for k in ("text", "source", "duration", "sha256")}
    assert entry["after"]["sha256"] == after["sha256"] and entry["after"]["source"] == "uploaded"

    reset = await http.post("/api/prompts/welcome/reset")
    assert reset.json()["sha256"] == before["sha256"]
    tts = await http.post("/api/prompts/goodbye/tts", json={"text": "谢谢，再见。"})
    assert tts.json()["source"] == "regenerated"
    assert [e["action"] for e in await audit.entries(unit_redis)] == ["prompt.tts", "prompt.reset", "prompt.upload"]


async def test_refusals_say_why_and_change_nothing(api, unit_redis, tmp_path, monkeypatch):
    http = await api("admin")
    original = (await http.get("/api/prompts/welcome/audio")).content
    short = await http.put("/api/prompts/welcome/recording",
                           files={"file": ("a.wav", tone(tmp_path / "a.wav", 0.1).read_bytes())})
    assert short.status_code == 422 and "录音太短" in short.json()["detail"]
    silent = await http.put("/api/prompts/welcome/recording",
                            files={"file": ("b.wav", tone(tmp_path / "b.wav", 2, level=0).read_bytes())})
    assert silent.status_code == 422 and "无声" in silent.json()["detail"]
    missing = await http.put("/api/prompts/welcome/recording", data={"note": "x"})
    assert missing.status_code == 422
    bad_name = await http.post("/api/prompts/..%2Fetc/tts", json={"text": "x"})
    assert bad_name.status_code in (404, 422)
    assert (await http.post("/api/prompts/Welcome!/tts", json={"text": "x"})).status_code == 422
    assert (await http.post("/api/prompts/no-default/reset")).status_code == 404

    monkeypatch.setattr(audio, "MAX_UPLOAD_BYTES", 100_000)
    big = await http.put("/api/prompts/welcome/recording",
                         files={"file": ("c.wav", tone(tmp_path / "c.wav", 10).read_bytes())})
    assert big.status_code == 413 and "文件太大" in big.json()["detail"]

    assert (await http.get("/api/prompts/welcome/audio")).content == original
    assert await audit.entries(unit_redis) == []


async def test_supervisors_read_only_agents_nothing(api, tmp_path):
    http = await api("supervisor")
    assert (await http.get("/api/prompts")).status_code == 200
    assert (await http.get("/api/prompts/welcome/audio")).status_code == 200
    wav = tone(tmp_path / "a.wav", 1).read_bytes()
    assert (await http.put("/api/prompts/welcome/recording", files={"file": ("a.wav", wav)})).status_code == 403
    assert (await http.post("/api/prompts/welcome/tts", json={"text": "你好"})).status_code == 403
    assert (await http.post("/api/prompts/welcome/reset")).status_code == 403
    agent = await api("agent1")
    assert (await agent.get("/api/prompts")).status_code == 403
    assert (await agent.get("/api/prompts/welcome/audio")).status_code == 403


async def test_the_api_is_documented(api):
    http = await api("admin")
    paths = (await http.get("/openapi.json")).json()["paths"]
    upload = paths["/api/prompts/{name}/recording"]["put"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"/api/prompts", "/api/prompts/{name}/audio", "/api/prompts/{name}/tts",
            "/api/prompts/{name}/reset"} <= set(paths)
