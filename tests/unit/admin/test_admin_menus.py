"""The menu editor's server side: errors with paths from the schema, the caller's-eye preview, the readable
diff, and publish/rollback through one audited service (HTTP and CLI), refused for missing prompts."""
from __future__ import annotations

import copy
import getpass
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml
from fastapi import FastAPI

from hotline.admin import audit, menus
from hotline.admin.menus_http import router as menus_router
from hotline.auth.http import router as auth_router
from hotline.core.config import Settings
from hotline.runtime import Features
from ivr.menus import describe
from ivr.menus.checks import check_document, loads_json
from ivr.menus.schema import find_cycle
from ivr.menus.store import DEFAULT_MENU, MenuError, MenuStore, parse_menu

from helpers import shipped_lines

sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))
from agents_users import PASSWORDS, write_users  # noqa: E402

FULL = yaml.safe_load(DEFAULT_MENU.read_text(encoding="utf-8"))
# the tests build on the shipped main menu alone (its 水电气热 sub-menu is checked in the first test)
SHIPPED = copy.deepcopy(FULL)
SHIPPED["menus"] = {"main": SHIPPED["menus"]["main"]}
SHIPPED["menus"]["main"]["keys"] = {k: a for k, a in SHIPPED["menus"]["main"]["keys"].items() if a["action"] != "menu"}
LINES = shipped_lines()
PROMPTS = set(yaml.safe_load((DEFAULT_MENU.parent / "prompts.yaml").read_text(encoding="utf-8")))
ADMIN = audit.Actor("admin", "admin", "127.0.0.1")


def with_sub_menu(queue: str = "tourism") -> dict:
    menu = copy.deepcopy(SHIPPED)
    menu["menus"]["main"]["keys"]["2"] = {"action": "menu", "menu": "utilities"}
    menu["menus"]["utilities"] = {"prompt": "queue-wait", "keys": {"1": {"action": "queue", "queue": queue}},
                                  "on_timeout": {"action": "queue", "queue": "general"},
                                  "on_invalid": {"action": "queue", "queue": "general"}}
    return menu


def problems(document, prompts_known=PROMPTS) -> list[tuple[str, str, str]]:
    return [(i.level, ".".join(i.path), i.message)
            for i in check_document(document, lines=LINES.labels(), prompts=prompts_known)]


def test_the_shipped_menu_and_a_sub_menu_have_no_problems():
    # the only remark: the 水电气热 sub-menu's "back" key (*) leads to main again, which is meant
    back = [("warning", "menus.main", "菜单之间构成循环 main → partners → main（如果是“返回上级菜单”可以忽略）")]
    assert problems(FULL) == back
    assert problems(SHIPPED) == [] and problems(with_sub_menu()) == []


def test_each_mistake_is_reported_at_its_path_in_chinese():
    menu = with_sub_menu(queue="water")
    menu["menus"]["utilities"]["keys"]["12"] = {"action": "repeat"}
    menu["menus"]["utilities"]["timeout_seconds"] = "abc"
    menu["menus"]["main"]["keys"]["3"] = {"action": "menu", "menu": "nowhere"}
    menu["menus"]["main"]["keys"]["4"] = {"action": "play", "prompt": "no-such-prompt"}
    found = {(level, path): text for level, path, text in problems(menu)}
    assert found[("error", "menus.utilities.keys.1.queue")].startswith("线路 water 不存在；现有线路：business（企业服务）")
    assert found[("error", "menus.utilities.keys.12")] == "按键只能是一个字符：0-9、* 或 #"
    assert found[("error", "menus.utilities.timeout_seconds")] == "必须是数字"
    assert found[("error", "menus.main.keys.3.menu")] == "子菜单 nowhere 不存在"
    assert found[("error", "menus.main.keys.4.prompt")].startswith("提示音 no-such-prompt 不存在")


def test_a_key_written_twice_is_an_error_in_json_and_yaml():
    raw = json.dumps(SHIPPED).replace('"*": {"action": "repeat"}}', '"*": {"action": "repeat"}, "1": {"action": "repeat"}}')
    assert raw.count('"1":') == 2   # main's keys name "1" twice
    assert ("error", "menus.main.keys.1", "按键 1 重复出现，只能写一次") in problems(loads_json(raw))
    twice = DEFAULT_MENU.read_text(encoding="utf-8").replace('"*": {action: repeat}', '"1": {action: repeat}')
    with pytest.raises(MenuError, match="key '1' is written twice"):
        parse_menu(twice)


def test_loops_between_sub_menus():
    menu = with_sub_menu()
    menu["menus"]["utilities"]["on_timeout"] = {"action": "menu", "menu": "main"}
    menu["menus"]["main"]["on_timeout"] = {"action": "menu", "menu": "utilities"}
    assert problems(menu)[0][:2] == ("error", "menus.main")
    assert "main → utilities → main" in problems(menu)[0][2]
    with pytest.raises(MenuError, match="loops through menus main -> utilities -> main"):
        parse_menu(menu)                                   # the CLI and config check refuse it too
    back = with_sub_menu()
    back["menus"]["utilities"]["keys"]["*"] = {"action": "menu", "menu": "main"}   # "back to the main menu"
    assert [p[0] for p in problems(back)] == ["warning"]
    parse_menu(back)
    assert find_cycle({f"m{i}": [f"m{i + 1}"] for i in range(3000)}) is None   # long chains: no recursion
    orphan = copy.deepcopy(SHIPPED)
    orphan["menus"]["old"] = with_sub_menu()["menus"]["utilities"]
    assert problems(orphan) == [("warning", "menus.old", "菜单 old 用不到：没有按键或超时转到它")]


def test_preview_and_changes_in_plain_chinese():
    texts = {"welcome": "您好，一二三四五政务服务便民热线。", "queue-wait": "正在为您转接话务员，请稍候。"}
    heard = describe.preview(with_sub_menu(), LINES.labels(), texts)
    assert [m["menu"] for m in heard] == ["main", "utilities"]
    assert heard[0]["lines"][0] == "来电者听到：“您好，一二三四五政务服务便民热线。”"
    assert "按1 → 转人工：企业服务（先请来电者描述诉求）" in heard[0]["lines"]
    assert "按2 → 进入子菜单 utilities" in heard[0]["lines"] and "按星号键 → 重听本菜单" in heard[0]["lines"]
    assert "按1 → 转人工：文旅服务专线" in heard[1]["lines"]
    assert describe.changes(SHIPPED, with_sub_menu(), LINES.labels(), texts) == [
        "新增子菜单 utilities", "菜单 main 新增按2：进入子菜单 utilities"]
    unknown = {"action": "transfer", "partner": "water"}   # an action a later feature adds shows by its fields
    assert describe.describe_action(unknown, {}, {}) == "transfer（partner：water）"


@pytest.fixture
def settings(tmp_path):
    texts = tmp_path / "prompts.yaml"
    texts.write_text(yaml.safe_dump({n: "文字" for n in PROMPTS}, allow_unicode=True), encoding="utf-8")
    return Settings(prompts_file=texts)


async def test_publish_and_rollback_are_audited_and_refuse_missing_prompts(unit_redis, settings):
    first = await menus.publish(unit_redis, SHIPPED, ADMIN, LINES, settings, note="初始")
    second = await menus.publish(unit_redis, with_sub_menu(), ADMIN, LINES, settings, note="新增子菜单")
    assert await MenuStore(unit_redis).active_version() == second
    review = await menus.review(unit_redis, SHIPPED, LINES, settings)
    assert review["valid"] and review["active_version"] == second
    assert review["changes"] == ["删除子菜单 utilities", "菜单 main 删除按2（原为：进入子菜单 utilities）"]
    assert '-    "utilities": {' in review["diff"]
    await menus.rollback(unit_redis, first, audit.Actor("ops", "admin", "cli"))
    history = await MenuStore(unit_redis).history()
    assert [(h["action"], h["version"], h["author"]) for h in history] == [
        ("rollback", first, "ops"), ("publish", second, "admin"), ("publish", first, "admin")]
    entries = await audit.entries(unit_redis, action="menu")
    assert [(e["action"], e["target"], e["source"]) for e in entries] == [
        ("menu.rollback", f"menu:{first}", "cli"), ("menu.publish", f"menu:{second}", "127.0.0.1"),
        ("menu.publish", f"menu:{first}", "127.0.0.1")]
    assert entries[1]["note"] == "新增子菜单" and '+    "utilities": {' in entries[1]["diff"]

    silent = copy.deepcopy(SHIPPED)
    silent["menus"]["main"]["keys"]["4"] = {"action": "play", "prompt": "no-such-prompt"}
    with pytest.raises(menus.MenuRefused) as refused:
        await menus.publish(unit_redis, silent, ADMIN, LINES, settings)
    assert refused.value.details[0]["loc"] == ["menus", "main", "keys", "4", "prompt"]
    assert menus.missing_prompts(parse_menu(silent), settings) == ["no-such-prompt"]
    with pytest.raises(MenuError, match="menu version 99 does not exist"):
        await menus.rollback(unit_redis, 99, ADMIN)
    assert len(await audit.entries(unit_redis, action="menu")) == 3   # nothing changed, nothing recorded


@pytest.fixture
async def http(unit_redis, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(write_users(tmp_path / "users.yaml")))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(redis=unit_redis, settings=settings, ami=None, features=Features(),
                                        lines=LINES)
    app.include_router(auth_router)
    app.include_router(menus_router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        async def login(username):
            response = await client.post("/api/auth/login", json={"username": username,
                                                                   "password": PASSWORDS[username]})
            return {"Authorization": f"Bearer {response.json()['token']}"}
        yield client, login


async def test_http_validate_publish_and_who_may_do_what(http, unit_redis):
    client, login = http
    admin, boss, agent = await login("admin"), await login("supervisor"), await login("agent1")
    bad = json.dumps(with_sub_menu(queue="water"))
    checked = (await client.post("/api/menus/validate", content=bad, headers=boss)).json()
    assert not checked["valid"] and checked["errors"][0]["path"] == "menus.utilities.keys.1.queue"
    assert (await client.post("/api/menus", content=bad, headers=admin)).status_code == 422
    good = json.dumps(with_sub_menu())
    assert (await client.post("/api/menus", content=good, headers=boss)).status_code == 403
    assert (await client.get("/api/menus/versions", headers=agent)).status_code == 403
    published = await client.post("/api/menus?note=试一下", content=good, headers=admin)
    assert published.status_code == 201
    version = published.json()["version"]
    assert (await client.post(f"/api/menus/{version}/activate", headers=boss)).status_code == 403
    catalogue = (await client.get("/api/menus/catalogue", headers=boss)).json()
    assert {"queue", "menu", "play", "repeat"} <= set(catalogue["actions"])
    assert {"name": "business", "label": "企业服务"} in catalogue["lines"]
    versions = (await client.get("/api/menus/versions", headers=boss)).json()
    assert versions["active"] == version and versions["versions"][0]["note"] == "试一下"
    assert [e["actor"] for e in await audit.entries(unit_redis)] == ["admin"]


def test_cli_changes_are_audited_as_the_os_user():
    from hotline.commands.menus import _cli_actor
    assert _cli_actor(None) == audit.Actor(getpass.getuser(), "admin", "cli")
    assert _cli_actor("ops").username == "ops"


async def test_a_version_number_reused_after_redis_lost_its_data_serves_the_new_menu(unit_redis):
    store = MenuStore(unit_redis)                    # one store, as in the controller (it caches parsed versions)
    assert await store.publish(parse_menu(SHIPPED), author="t") == 1
    assert "utilities" not in (await store.get(1)).menus
    await unit_redis.flushdb()
    assert await store.publish(parse_menu(with_sub_menu()), author="t") == 1
    assert "utilities" in (await store.get(1)).menus
