"""Admins keep the knowledge base in the browser (/admin → 知识库): add an article with a Markdown preview,
see expired ones marked; a supervisor sees the list without edit controls. Agents then find the article."""
import re

import httpx
import pytest
from playwright.async_api import expect

from helpers import ARTIFACTS

pytestmark = pytest.mark.integration


async def _admin_page(chromium, base_url: str, username: str):
    page = await (await chromium.new_context(viewport={"width": 1366, "height": 768})).new_page()
    await page.goto(base_url + "/login?next=/admin%23kb")
    await page.fill("#username", username)
    await page.fill("#password", f"{username}@12345")   # demo passwords (config/users.yaml)
    await page.press("#password", "Enter")
    await page.wait_for_url(re.compile(r".*/admin#kb$"))
    return page


async def test_admin_adds_an_article_in_the_browser(settings, agents_controller, chromium, redis):
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    async with httpx.AsyncClient(base_url=base_url) as http:
        token = (await http.post("/api/auth/login", json={"username": "admin", "password": "admin@12345"})).json()["token"]
        old = {"title": "春节期间景区开放安排（2025年）", "body": "已过期的安排", "valid_until": "2025-02-28"}
        assert (await http.post("/api/kb/articles", json=old, headers={"Authorization": f"Bearer {token}"})).status_code == 201

    page = await _admin_page(chromium, base_url, "admin")
    tab = page.locator("#tab-kb")
    await expect(tab.locator("tr", has_text=old["title"])).to_contain_text("已过期")
    await tab.get_by_role("button", name="新增条目").click()
    await tab.locator("input[name=title]").fill("博物馆周一闭馆安排")
    await tab.locator("textarea[name=body]").fill("市内博物馆**每周一闭馆**（法定节假日除外）。\n\n- 免费参观需提前预约\n- <script>x</script>")
    await expect(tab.locator(".kb-preview strong")).to_have_text("每周一闭馆")
    await expect(tab.locator(".kb-preview")).to_contain_text("<script>x</script>")   # shown as text, not run
    await tab.locator("label", has_text="旅游/民宿/景区").locator("input").check()
    await tab.locator("input[name=keywords]").fill("博物馆，周一开门吗")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-kb-editor.png"), full_page=True)
    await tab.get_by_role("button", name="保存").click()
    await expect(page.locator("#flash")).to_contain_text("已保存")
    await expect(tab.locator("tr", has_text="博物馆周一闭馆安排")).to_contain_text("有效")
    await page.screenshot(path=str(ARTIFACTS / "admin-kb.png"))

    async with httpx.AsyncClient(base_url=base_url) as http:   # agents find it at once
        agent = (await http.post("/api/auth/login", json={"username": "agent2", "password": "agent2@12345"})).json()
        found = (await http.get("/api/kb/search", params={"q": "博物馆周一开门吗"},
                                headers={"Authorization": f"Bearer {agent['token']}"})).json()["hits"]
        assert found[0]["title"] == "博物馆周一闭馆安排"

    viewer = await _admin_page(chromium, base_url, "supervisor")
    await expect(viewer.locator("#tab-kb tr", has_text="博物馆周一闭馆安排")).to_be_visible()
    await expect(viewer.locator("#readonly")).to_be_visible()
    await expect(viewer.get_by_role("button", name="新增条目")).to_be_hidden()
    await viewer.screenshot(path=str(ARTIFACTS / "admin-kb-supervisor.png"))
