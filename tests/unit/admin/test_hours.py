"""Opening hours: the schema (hours.yaml), is_open in the hotline's time zone, the admin edit (written, audited)."""
from __future__ import annotations

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import pytest
import yaml

from hotline.admin import audit
from hotline.configcheck import check_config
from hotline.core.config import CONFIG_DIR, Settings
from hotline.hours.model import HoursError, parse_hours
from hotline.hours.service import HoursService

from helpers import shipped_lines

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAMES = ["business", "tourism", "general"]
BOOK = {"lines": {"business": {"weekly": {"mon": ["09:00-12:00", "13:30-17:30"], "sat": ["00:00-24:00"]},
                               "holidays": [{"date": "2027-02-06", "until": "2027-02-12", "name": "春节"}],
                               "closed": {"queue": "general"}},
                  "tourism": {"weekly": {"tue": ["08:00-20:00"]}, "closed": {"prompt": "after-hours-callback",
                                                                              "callback": True}}}}


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp()


@pytest.fixture
def hours(tmp_path):
    path = tmp_path / "hours.yaml"
    path.write_text("# the file's own comment\n" + yaml.safe_dump(BOOK, allow_unicode=True), encoding="utf-8")
    return HoursService(Settings(hours_file=path), shipped_lines())


def test_open_closed_and_holidays_in_shanghai_time(hours):
    assert hours.is_open("business", at("2026-11-30T09:00")) == (True, None)        # a Monday
    assert hours.is_open("business", at("2026-11-30T12:30"))[0] is False             # lunch break
    is_open, fallback = hours.is_open("business", at("2026-11-30T17:30"))             # end is exclusive
    assert not is_open and fallback["queue"] == "general" and fallback["prompt"] == "after-hours"
    assert hours.is_open("business", at("2026-12-05T23:59"))[0] is True              # Saturday 00:00-24:00
    is_open, fallback = hours.is_open("business", at("2027-02-08T10:00"))             # a Monday in 春节
    assert not is_open and fallback["reason"] == "holiday 春节"
    assert hours.is_open("general", at("2027-02-08T03:00")) == (True, None)           # no entry: 7×24
    # 01:30 UTC on a Monday is 09:30 in Shanghai
    assert hours.is_open("business", dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC).timestamp())[0]
    closed = hours.is_open("tourism", at("2026-11-30T10:00"))[1]
    assert closed["callback"] is True and "queue" not in closed


def test_the_test_clock_offset_moves_only_the_hours_clock(tmp_path):
    (tmp_path / "hours.yaml").write_text(yaml.safe_dump(BOOK), encoding="utf-8")
    settings = Settings(hours_file=tmp_path / "hours.yaml", clock_offset_seconds=3 * 3600)
    service = HoursService(settings, shipped_lines())
    assert service.is_open("business", at("2026-11-30T06:30"))[0] is True             # 09:30 on the shifted clock
    assert service.local_now(at("2026-11-30T06:30")).hour == 9


@pytest.mark.parametrize("lines, error", [
    ({"business": {"weekly": {"mon": ["09:00-12:00", "11:00-13:00"]}}}, "mon: spans overlap"),
    ({"business": {"weekly": {"mon": ["12:00-09:00"]}}}, "must end after it starts"),
    ({"business": {"weekly": {"mon": ["9:00-12:00"]}}}, "lines.business.weekly.mon.0"),
    ({"business": {"weekly": {"monday": ["09:00-12:00"]}}}, "lines.business.weekly.monday"),
    ({"business": {"closed": {"queue": "general", "callback": True}}}, "either queue"),
    ({"business": {"holidays": [{"date": "2027-02-06", "until": "2027-02-01", "name": "春节"}]}}, "is before"),
    ({"business": {"colour": "red"}}, "Extra inputs are not permitted"),
    ({"water": {}}, "lines.water: is not a line of queues.yaml"),
    ({"business": {"closed": {"queue": "business"}}}, "cannot send callers to itself"),
    ({"business": {"closed": {"queue": "water"}}}, "'water' is not a line"),
])
def test_bad_hours_are_refused_with_the_field(lines, error):
    with pytest.raises(HoursError, match=error):
        parse_hours({"lines": lines}, NAMES)


def test_config_check_reads_hours_yaml(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    assert check_config(folder) == [] and yaml.safe_load((folder / "hours.yaml").read_text()) == {"lines": {}}
    (folder / "hours.yaml").write_text(yaml.safe_dump(BOOK), encoding="utf-8")
    assert check_config(folder) == []
    (folder / "hours.yaml").write_text("lines:\n  water: {closed: {prompt: nope, queue: general}}\n", encoding="utf-8")
    assert [str(p) for p in check_config(folder)] == [
        "hours.yaml:lines.water: is not a line of queues.yaml (business, tourism, general)",
        "hours.yaml:lines.water.closed.prompt: prompt 'nope' does not exist (prompts.yaml)"]
    (folder / "hours.yaml").unlink()                     # optional: every line always open
    assert check_config(folder) == []


async def test_an_admin_edit_is_written_kept_audited_and_used_at_once(hours, unit_redis):
    edited = {"lines": {"business": BOOK["lines"]["business"] | {"holidays": [
        {"date": "2026-11-30", "name": "测试日"}]}}}
    actor = audit.Actor("admin", "admin", "127.0.0.1")
    await hours.replace(unit_redis, actor, edited, note="加测试日")
    assert hours.is_open("business", at("2026-11-30T09:00"))[1]["reason"] == "holiday 测试日"
    assert hours.is_open("tourism", at("2026-11-30T10:00")) == (True, None)           # removed: always open
    path = hours.settings.hours_file
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# the file's own comment\n") and "测试日" in text
    assert parse_hours(yaml.safe_load(text), NAMES) == hours.book                    # the CLI reads the same
    assert "春节" in path.with_name("hours.yaml.prev").read_text(encoding="utf-8")
    entry = (await audit.entries(unit_redis, action="hours"))[0]
    assert entry["note"] == "加测试日" and "+          \"name\": \"测试日\"" in entry["diff"]
    with pytest.raises(HoursError):
        await hours.replace(unit_redis, actor, {"lines": {"water": {}}})
    assert "测试日" in path.read_text(encoding="utf-8")                                # a refused edit changes nothing
