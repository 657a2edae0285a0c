"""Menus refuse what would hurt (issue 10 item 8): non-UTF-8, aliases, deep or huge documents (CLI and API),
and a description longer than the ASR takes."""
import json
from types import SimpleNamespace

import httpx
import pytest
import yaml
from fastapi import FastAPI
from typer.testing import CliRunner

from asr.limits import MAX_AUDIO_SECONDS, MAX_DESCRIPTION_SECONDS
from hotline.cli import app as cli
from ivr import prompts
from ivr.menus import store as menu_store
from ivr.menus.store import MenuError, MenuStore, parse_menu

from helpers import shipped_lines

GOOD = (menu_store.DEFAULT_MENU).read_text(encoding="utf-8")


def validate(tmp_path, content: bytes):
    path = tmp_path / "menus.yaml"
    path.write_bytes(content)
    return CliRunner().invoke(cli, ["menus", "validate", str(path)])


@pytest.mark.parametrize("content,reason", [
    (GOOD.encode("gbk"), "not UTF-8 text"),
    (b"a: " + b"[" * 100_000 + b"]" * 100_000, "larger than 64 KiB"),
    (b"a: " + b"[" * 5000 + b"]" * 5000, "nests deeper than"),
    (b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "YAML alias"),
    (b"start: main\nmenus: " + b"{a: " * 30 + b"1" + b"}" * 30, "nests deeper than"),
])
def test_validate_refuses_bad_files_without_a_traceback(tmp_path, content, reason):
    result = validate(tmp_path, content)
    assert result.exit_code == 2 and reason in result.output, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)


def test_the_shipped_menu_still_validates(tmp_path):
    assert validate(tmp_path, GOOD.encode()).exit_code == 0


def test_record_max_seconds_fits_the_asr_limit():
    assert MAX_DESCRIPTION_SECONDS < MAX_AUDIO_SECONDS
    data = yaml.safe_load(GOOD)
    assert parse_menu({**data, "record_max_seconds": MAX_DESCRIPTION_SECONDS}).record_max_seconds == 120
    with pytest.raises(MenuError, match="record_max_seconds"):
        parse_menu({**data, "record_max_seconds": 300})


async def test_a_stored_version_from_before_the_limit_is_clamped(unit_redis):
    data = yaml.safe_load(GOOD)
    await unit_redis.set(menu_store.version_key(1), json.dumps({"menu": {**data, "record_max_seconds": 300}}))
    assert (await MenuStore(unit_redis).get(1)).record_max_seconds == MAX_DESCRIPTION_SECONDS


@pytest.fixture
async def api(unit_redis, tmp_path, monkeypatch):
    from hotline.admin.menus_http import router
    from hotline.auth.service import get_directory, issue_token
    from hotline.auth.users import hash_password

    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [{"username": "admin", "display_name": "管理员", "role": "admin",
                                                "password_hash": hash_password("pw", 1000)}]}), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(users))
    monkeypatch.setattr(prompts, "available", lambda settings: set(prompts.default_texts()))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(redis=unit_redis, settings=None, ami=None, features={}, lines=shipped_lines())
    app.include_router(router)
    token = await issue_token(unit_redis, get_directory().get("admin"), 600)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


async def test_api_caps_menu_size_and_refuses_non_objects(api):
    good = yaml.safe_load(GOOD)
    assert (await api.post("/api/menus", json=good)).status_code == 201
    huge = {**good, "padding": "x" * 100_000}
    assert (await api.post("/api/menus", json=huge)).status_code == 413
    async def chunks():  # no Content-Length: the stream itself is cut off
        yield b'{"a": "' + b"x" * 40_000
        yield b"x" * 40_000 + b'"}'
    chunked = await api.post("/api/menus", content=chunks())
    assert chunked.status_code == 413
    deep = await api.post("/api/menus", content=b"[" * 30_000 + b"]" * 30_000)
    assert deep.status_code == 422
    assert (await api.post("/api/menus", json=[1, 2])).status_code == 422
    assert (await api.post("/api/menus", content=b"{nope")).status_code == 422
    too_long = await api.post("/api/menus", json={**good, "record_max_seconds": 300})
    assert too_long.status_code == 422 and "record_max_seconds" in too_long.text
