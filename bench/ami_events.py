"""AMI events per call that reach the controller's AMI user, and Stasis messages per call through Asterisk's
manager thread, with manager.conf as rendered and without its `disabledevents` line (the baseline), in the
same run. `manager reload` keeps the old global list, so each variant runs on a restarted Asterisk rendered
from its own copy of the templates.

    .venv/bin/python bench/ami_events.py [--calls 20] [--no-doc]

Uses this instance's Asterisk, Redis and controller (HOTLINE_* env; started if down). A listener logs in
with the controller's user and counts every event while SIPp places CALLS calls (key 9, '#', 2 s in the
tourism queue, no agent); bytes are the events' header text; Stasis messages are the Processed count of
`stasis/m:manager:core` (`core show taskprocessors`), idle traffic included.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.commands.controller import Controller  # noqa: E402
from hotline.core.config import Settings  # noqa: E402
from hotline.core.redis_server import RedisServer  # noqa: E402
from hotline.pbx import sandbox  # noqa: E402
from ivr.scripted_caller import hotline_steps  # noqa: E402
from telephony.ami.manager import AmiManager  # noqa: E402
from telephony.sipp import SippLoad  # noqa: E402

from _common import write_doc_section  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
MARK_START, MARK_END = "<!-- ami_events:start -->", "<!-- ami_events:end -->"


async def count(settings: Settings, calls: int, prefix: str, work_dir: Path) -> tuple[collections.Counter, int]:
    ami = AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret)
    seen, size = collections.Counter(), [0]

    def on_event(message) -> None:
        seen[message.name] += 1
        size[0] += sum(len(key) + len(str(value)) + 4 for key, value in message.headers.items())  # "K: V\r\n"

    await ami.connect()
    ami.on_event("*", on_event)
    load = SippLoad(settings.sip_port, settings.hotline_number, calls=calls, rate=5, limit=50,
                    steps=hotline_steps(settings, "9", hangup_after=2.0), caller_prefix=prefix,
                    answer_timeout=10.0, work_dir=work_dir / prefix)
    await asyncio.to_thread(lambda: load.start().wait(calls / 5 + 60))
    await asyncio.sleep(3.0)   # the last hang-ups
    await ami.close()
    return seen, size[0]


def restart_with(pbx, template_dir: Path) -> None:
    pbx.down()
    pbx.template_dir = template_dir
    pbx.up()


def without_disabled_events(templates: Path, work_dir: Path) -> Path:
    copy = work_dir / "templates"
    shutil.copytree(templates, copy)
    manager = copy / "manager.conf.j2"
    manager.write_text("".join(line for line in manager.read_text(encoding="utf-8").splitlines(keepends=True)
                               if not line.startswith("disabledevents")), encoding="utf-8")
    return copy


def manager_messages(pbx) -> int:
    for line in pbx.cli("core show taskprocessors").splitlines():
        parts = line.split()
        if parts and parts[0].startswith("stasis/m:manager:core") and parts[1].isdigit():
            return int(parts[1])
    return 0


def row(name: str, seen: collections.Counter, size: int, messages: int, calls: int) -> str:
    top = ", ".join(f"{event} {n / calls:.1f}" for event, n in seen.most_common(4))
    return f"| {name} | {messages / calls:.0f} | {sum(seen.values()) / calls:.1f} | {size / calls / 1024:.1f} | {top} |"


async def measured(settings: Settings, pbx, calls: int, prefix: str, work_dir: Path):
    controller = Controller(settings)
    controller.start()
    for _ in range(60):            # it reconnects to the restarted Asterisk by itself
        if controller.ready():
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2.0)       # a fresh heartbeat
    before = manager_messages(pbx)
    seen, size = await count(settings, calls, prefix, work_dir)
    return seen, size, manager_messages(pbx) - before


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    pbx, work_dir = sandbox(settings), Path(tempfile.mkdtemp(prefix="bench-ami-events-"))
    pbx.up()
    RedisServer(settings).up()
    templates = pbx.template_dir
    try:
        restart_with(pbx, without_disabled_events(templates, work_dir))
        baseline = await measured(settings, pbx, args.calls, "7791", work_dir)
    finally:
        restart_with(pbx, templates)
    with_list = await measured(settings, pbx, args.calls, "7792", work_dir)
    table = "\n".join(["| manager.conf | Stasis messages per call (manager thread) | AMI events per call | "
                       "KiB per call | most frequent (per call) |", "|---|---:|---:|---:|---|",
                       row("without disabledevents (baseline)", *baseline, args.calls),
                       row("as rendered", *with_list, args.calls)])
    print(table)
    if not args.no_doc:
        write_doc_section(DOC, MARK_START, MARK_END, (
            f"{MARK_START}\n## AMI events per call (bench/ami_events.py)\n\nMeasured "
            f"{time.strftime('%Y-%m-%d %H:%M')}, `bench/ami_events.py --calls {args.calls}`: a key-9 call that "
            "waits 2 s in the queue, with manager.conf as rendered and without its `disabledevents` line, each on "
            "a restarted Asterisk (same run). Stasis messages: what Asterisk's one manager thread handles per call "
            "(idle traffic included). Every event the controller subscribes to still arrives; the ones not built "
            "(VarSet, Newexten, DTMFBegin, MusicOnHold*, …) had no consumer.\n\n" + table + f"\n{MARK_END}\n"))
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
