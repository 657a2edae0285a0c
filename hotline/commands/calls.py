"""`hotline call`: a real demo call through the local Asterisk (SIPp caller, SIPp agent phones)."""
from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import typer

from hotline.commands import fail
from hotline.commands.samples import SampleError, menu_key_for, sample_clip
from hotline.core.config import Settings
from hotline.core.redis_client import redis_client
from ivr.journal import Journal
from ivr.scripted_caller import find_call, hotline_steps
from telephony.sipp import SippError, SippFactory

SYNTHETIC_NOTE = ("--say speaks with espeak-ng: synthetic Mandarin that the speech models recognise poorly, so "
                  "expect a wrong or empty transcript. For a realistic demo use --sample tourism (a real recording) "
                  "or --audio your-recording.wav.")


def _speech(text: str, folder: Path) -> Path:
    wav = folder / "say.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "170", "-w", str(wav), text], check=True, capture_output=True)
    return wav


async def _demo(settings: Settings, key: str | None, audio: Path | None, answer: bool, wait_ticket: float,
                survey: str | None = None) -> dict:
    caller_id = f"139{random.randrange(10**8):08d}"
    work = Path(tempfile.mkdtemp(prefix="hotline-call-", dir=settings.state_dir))
    sipp = SippFactory(settings.sip_port, settings.agent_phone_base_port, work)
    client = redis_client(settings)
    try:
        for n in range(1, settings.agent_count + 1):
            sipp.agent_phone(n, answer=answer, talk_seconds=3.0)
        started = time.time()
        caller = sipp.caller(settings.hotline_number, caller_id=caller_id, max_hold=40.0,
                             steps=hotline_steps(settings, key, audio=audio, survey=survey))
        result = await caller.arun(timeout=120)
        call = await find_call(Journal(client), caller_id, since=started - 1) or {}
        extra = {"survey": call.get("survey")} if survey else {}   # the key the survey heard (or "none")
        return {"caller": caller_id, **extra, "sip": {"answered": result.answered, "answer_latency": result.answer_latency},
                "call": call, "ticket": await _ticket(client, call.get("ticket_id"), wait_ticket if audio else 0,
                                                      settings.asr_passes)}
    finally:
        sipp.close()
        await client.aclose()
        shutil.rmtree(work, ignore_errors=True)  # SIPp's message traces hold the caller's number


async def _ticket(client, ticket_id: str | None, wait: float, passes: list[str]) -> dict | None:
    """The ticket once every configured ASR pass has written to it (or `wait` seconds have passed)."""
    from hotline.tickets.passes import PASSES
    from hotline.tickets.service import get_ticket

    if not ticket_id:
        return None
    fields = [PASSES[name].field for name in passes]
    deadline = time.monotonic() + wait
    while True:
        ticket = await get_ticket(client, ticket_id)
        if time.monotonic() >= deadline or all((ticket or {}).get(f, {}).get("status") != "pending" for f in fields):
            return ticket
        await asyncio.sleep(0.5)


def call(key: str = typer.Option(None, "--key", help="key to press in the menu (1, 9, 0, *...); none: wait"),
         audio: Path = typer.Option(None, "--audio", exists=True, dir_okay=False, help="WAV to say after the beep"),
         sample: str = typer.Option(None, "--sample", help="say a real recording that fits LINE (config/samples.yaml), "
                                    "pressing the line's key unless --key is given: tourism, general, business"),
         say: str = typer.Option(None, "--say", help="text to speak after the beep (synthetic espeak-ng speech: "
                                 "recognised poorly)"),
         no_answer_agent: bool = typer.Option(False, "--no-answer-agent", help="agent phones ring, never answer"),
         survey: str = typer.Option(None, "--survey", help="key to press at the satisfaction survey after the "
                                    "agent hangs up: 1 满意, 2 基本满意, 3 不满意"),
         callback: bool = typer.Option(False, "--callback", help="预约回拨: press 1 in the queue while no agent is free "
                                       "(agents paused for the demo), hang up, answer the call-back on a SIPp phone"),
         wait_ticket: float = typer.Option(30.0, help="seconds to wait for the transcripts on the ticket")) -> None:
    """Place a real call to the hotline and print its journal (route, answer latency, ticket) as JSON."""
    settings = Settings()
    if key is not None and (len(key) != 1 or key not in "0123456789*#"):
        raise typer.BadParameter("--key takes one of 0-9 * #")
    if survey is not None and survey not in ("1", "2", "3"):
        raise typer.BadParameter("--survey takes 1, 2 or 3")
    if survey is not None and no_answer_agent:
        raise typer.BadParameter("--survey needs an agent who answers (and hangs up first)")
    if sum(x is not None for x in (audio, say, sample)) > 1:
        raise typer.BadParameter("give one of --audio, --sample, --say")
    if sample:
        try:
            audio = sample_clip(settings, sample)
        except SampleError as exc:
            fail(exc)
        key = key if key is not None else menu_key_for(sample)
    if callback:
        _callback_demo(settings, key or "9")
        return
    if say:
        typer.echo(f"note: {SYNTHETIC_NOTE}", err=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spoken = _speech(say, Path(tmp)) if say else audio
            report = asyncio.run(_demo(settings, key, spoken, not no_answer_agent, wait_ticket, survey))
    except (SippError, OSError, FileNotFoundError) as exc:
        fail(f"{exc} — is the sandbox up? run `hotline up`")
    if say:
        report["note"] = SYNTHETIC_NOTE
    elif audio:
        report["recording"] = str(audio)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    if not report["sip"]["answered"]:
        raise typer.Exit(1)


def _callback_demo(settings: Settings, key: str) -> None:
    from hotline.commands.callback_demo import DemoError, run_demo

    try:
        report = asyncio.run(run_demo(settings, key))
    except (DemoError, SippError, OSError) as exc:
        fail(f"{exc} — is the sandbox up? run `hotline up`")
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    if report["callback"].get("status") != "connected":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("call")(call)
