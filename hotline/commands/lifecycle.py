"""`hotline up|down|status|serve|doctor`: the whole local system (Asterisk, Redis, controller)."""
from __future__ import annotations

import asyncio

import typer

from hotline.commands import fail
from hotline.commands.controller import AsrWorkers, Controller, ControllerError
from hotline.core.config import Settings
from hotline.core.redis_server import RedisServer, RedisServerError
from telephony.pbx import PbxConfigError, PbxError, PbxSandbox


def up(timeout: float = typer.Option(60.0, help="Seconds to wait for each part.")) -> None:
    """Start Asterisk, Redis, the controller and an ASR worker (each only if not running); wait until ready."""
    settings = Settings()
    try:
        PbxSandbox(settings).up(timeout)
        typer.echo(f"✔ Asterisk '{settings.instance}': SIP 127.0.0.1:{settings.sip_port}, AMI :{settings.ami_port}")
        RedisServer(settings).up()
        typer.echo(f"✔ Redis {settings.redis_url}")
        controller = Controller(settings)
        controller.start(timeout)
        typer.echo(f"✔ controller http://{settings.http_host}:{settings.http_port}/ (log {controller.log_file})")
        workers = AsrWorkers(settings)
        workers.start(timeout)
        engines = {"fast": settings.asr_keyword_engine, "hanzi": settings.asr_engine}
        running = ", ".join(f"{name} ({engines[name]})" for name in settings.asr_passes)
        typer.echo(f"✔ ASR workers: {running} (log {workers.log_file})")
    except (PbxError, PbxConfigError, RedisServerError, ControllerError) as exc:
        fail(exc)


def down() -> None:
    """Stop the ASR worker, the controller, Redis (AOF kept) and Asterisk of this instance."""
    settings = Settings()
    try:
        typer.echo(f"ASR worker {'stopped' if AsrWorkers(settings).stop() else 'was not running'}")
        typer.echo(f"controller {'stopped' if Controller(settings).stop() else 'was not running'}")
        typer.echo(f"Redis {'stopped' if RedisServer(settings).down() else 'was not running'}")
        typer.echo(f"Asterisk {'stopped' if PbxSandbox(settings).down() else 'was not running'}")
    except (PbxError, RedisServerError) as exc:
        fail(exc)


def status() -> None:
    """One line per part; exit 1 unless everything is up and healthy."""
    settings = Settings()
    pbx, redis_server, controller, workers = (PbxSandbox(settings), RedisServer(settings), Controller(settings),
                                              AsrWorkers(settings))
    try:
        pbx_status = pbx.status()
    except PbxError as exc:
        fail(exc)
    code, body = controller.health()
    lines = [
        (pbx_status.running and pbx_status.ami_reachable,
         f"Asterisk  {pbx_status.version}, pid {pbx_status.pid}, AMI reachable: "
         f"{'yes' if pbx_status.ami_reachable else 'no'}, log {pbx_status.log_path}"),
        (redis_server.ping(), f"Redis     {settings.redis_url}, log {redis_server.log_file}"),
        (code == 200, f"controller pid {controller.pid()}, /healthz {code or 'no answer'} {body or ''}, "
                      f"log {controller.log_file}"),
        (workers.pid() is not None, f"ASR worker pid {workers.pid()}, log {workers.log_file}"),
    ]
    for ok, text in lines:
        typer.echo(f"{'✔' if ok else '✘'} {text}")
    if not all(ok for ok, _ in lines):
        raise typer.Exit(1)


def serve() -> None:
    """Run the controller in the foreground (AMI, AsyncAGI, features, web app)."""
    from hotline import runtime
    from hotline.core.logging import setup_logging

    setup_logging()
    asyncio.run(runtime.serve(Settings()))


def doctor() -> None:
    """Check this machine: root, apt packages, Asterisk 22 root, AMI, Redis, speech model, Python deps."""
    from hotline.commands.doctor import run_checks

    failed = False
    for check in run_checks(Settings()):
        typer.echo(f"{'✔' if check.ok else '✘'} {check.name}: {check.detail}")
        if not check.ok:
            typer.echo(f"    fix: {check.fix}")
            failed = failed or check.required
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    for command in (up, down, status, serve, doctor):
        app.command(command.__name__)(command)
