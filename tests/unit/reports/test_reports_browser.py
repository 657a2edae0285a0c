"""The hotspot report over HTTP (who may read it, JSON, CSV) and in Chromium as a supervisor sees it on a
1366x768 screen and prints it (PDF with Chinese fonts). Artifacts: tests/artifacts/reports.png,
reports.pdf and reports-pdf.png (the PDF's first page)."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from types import SimpleNamespace

import httpx
import pytest
import yaml

from hotline.api.app import create_app
from hotline.auth.users import hash_password
from hotline.core.config import CONFIG_DIR
from hotline.core.lines import load_lines
from hotline.reports import generate
from hotline.reports.generate import Cluster, Profile, Spike
from hotline.reports.monitor import HotspotMonitor
from hotline.runtime import Features
from hotline.supervision.config import load_config
from hotline.supervision.service import SupervisionService

from helpers import ARTIFACTS, serving

playwright_api = pytest.importorskip("playwright.async_api")
END = dt.date.today() - dt.timedelta(days=3)


@pytest.fixture
def users_yaml(tmp_path, monkeypatch):
    users = [{"username": name, "display_name": name, "role": role, "password_hash": hash_password("pw-" + name, 1000),
              **({"endpoint": name} if role == "agent" else {})}
             for name, role in (("agent1", "agent"), ("supervisor", "supervisor"), ("admin", "admin"))]
    path = tmp_path / "users.yaml"
    path.write_text(yaml.safe_dump({"users": users}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_USERS_FILE", str(path))
    return path


@pytest.fixture
async def server(unit_redis, users_yaml, free_port):
    profile = Profile(days=35, per_day=150, seed=21, end=END,
                      clusters=[Cluster("燃气", "金桂苑", END - dt.timedelta(days=1), callers=7)],
                      spikes=[Spike("物业", END, 3.0)])
    await generate.write(unit_redis, generate.history(profile))
    lines = load_lines(CONFIG_DIR / "queues.yaml")
    runtime = SimpleNamespace(redis=unit_redis, ami=None, settings=None, lines=lines,
                              features=Features(supervision=SupervisionService(unit_redis, None, load_config(), lines)))
    async with serving(create_app(runtime), free_port()) as port:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", redis=unit_redis, supervision=runtime.features.supervision)


async def _token(client, name):
    response = await client.post("/api/auth/login", json={"username": name, "password": "pw-" + name})
    return {"Authorization": "Bearer " + response.json()["token"]}


async def test_report_api_is_for_supervisors_and_exports_csv(server):
    url = f"/api/reports/hotspots?period=day&date={END}"
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=await _token(client, "agent1"))).status_code == 403
        boss = await _token(client, "supervisor")
        report = (await client.get(url, headers=boss)).json()
        assert [c["place"] for c in report["clusters"]] == ["金桂苑"] and [s["name"] for s in report["spikes"]] == ["物业"]
        csv = await client.get(url + "&format=csv", headers=await _token(client, "admin"))
        assert csv.headers["content-type"].startswith("text/csv") and "attachment" in csv.headers["content-disposition"]
        assert csv.text.startswith("\ufeff") and "同诉,燃气,金桂苑" in csv.text
        for bad in ("period=year", "date=2026-13-01", "format=xml"):
            assert (await client.get(f"/api/reports/hotspots?{bad}", headers=boss)).status_code == 422, bad


async def supervisor_page(chromium, url, path):
    page = await (await chromium.new_context(viewport={"width": 1366, "height": 768})).new_page()
    await page.goto(url + path)
    await page.wait_for_url("**/login?next=**")
    await page.fill("#username", "supervisor")
    await page.fill("#password", "pw-supervisor")
    await page.press("#password", "Enter")
    await page.wait_for_url("**" + path.split("?")[0] + "**")
    return page


async def test_report_page_shows_and_prints_the_hotspots(server, chromium):
    expect = playwright_api.expect
    page = await supervisor_page(chromium, server.url, f"/reports?period=day&date={END}")
    await expect(page.locator("#clusters tbody tr")).to_have_count(1)
    await expect(page.locator("#clusters tbody")).to_contain_text("金桂苑")
    await expect(page.locator("#spikes tbody")).to_contain_text("物业")
    assert await page.locator("#series svg rect.bar").count() == 24
    await expect(page.locator("#categories svg rect.spike")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)

    await page.select_option("#period", "week")
    await page.click("#controls button[type=submit]")
    await expect(page.locator("#series-title")).to_have_text("来电走势（按日）")
    await page.select_option("#period", "day")
    await page.click("#controls button[type=submit]")
    await expect(page.locator("#series-title")).to_have_text("来电走势（按小时）")
    await page.emulate_media(media="print")
    assert not await page.locator("#controls").is_visible()
    pdf = ARTIFACTS / "reports.pdf"
    pdf.write_bytes(await page.pdf(format="A4", print_background=True))
    assert pdf.read_bytes().startswith(b"%PDF") and b"NotoSansCJK" in pdf.read_bytes().replace(b"-", b"")
    if shutil.which("pdftoppm"):   # poppler-utils (scripts/setup installs it): the first page to look at
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(ARTIFACTS / "reports-pdf")], check=True)


async def test_a_new_cluster_reaches_the_wallboard(server, chromium):
    """The hotspot monitor finds the day's cluster and spike and the supervisor's wallboard shows them."""
    expect = playwright_api.expect
    page = await supervisor_page(chromium, server.url, "/wallboard")
    await expect(page.locator("#link")).to_have_text("实时")
    monitor = HotspotMonitor(server.redis, server.supervision.notice, spawn=None)
    announced = await monitor.check(dt.datetime.combine(END, dt.time(23, 0)).timestamp())
    assert sorted(a["kind"] for a in announced) == ["hotspot_cluster", "hotspot_spike"]
    await expect(page.locator("#alert-log")).to_contain_text("【同诉】燃气 · 金桂苑（东湖区春晖街道）")
    await expect(page.locator("#alert-log")).to_contain_text("【突增】物业")
    await page.screenshot(path=str(ARTIFACTS / "reports-wallboard-alert.png"))
    assert await monitor.check(dt.datetime.combine(END, dt.time(23, 5)).timestamp()) == []   # once
    history = [a["kind"] for a in await server.supervision.store.history()]
    assert sorted(history) == ["hotspot_cluster", "hotspot_spike"]
