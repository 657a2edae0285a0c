"""`hotline up|down|status|serve|doctor`: the whole local system (Asterisk, Redis, controller)."""
from __future__ import annotations

import asyncio
import logging

import typer
from pydantic import ValidationError

from hotline.commands import fail
from hotline.commands.controller import AsrWorkers, Controller, ControllerError, SupervisorProcess
from hotline.commands.supervisor import Child, Supervisor
from hotline.core.config import Settings, SettingsFileError
from hotline.core.logging import log_event
from hotline.core.priority import raise_priority
from hotline.core.processes import read_state
from hotline.core.redis_server import RedisServer, RedisServerError
from hotline.pbx import sandbox
from hotline.production import refuse_sandbox_defaults
from ivr.reconcile import prune_taken_notes
from telephony.pbx import PbxConfigError, PbxError, PbxSandbox

log = logging.getLogger("hotline.serve")


def up(timeout: float = typer.Option(60.0, help="Seconds to wait for each part.")) -> None:
    """Check the config, then start Asterisk, Redis, the controller and an ASR worker (each only if not
    running); wait until ready. Refuses to start while `hotline config check` finds problems."""
    from hotline.commands.config import instance_config_dir, report_problems

    try:
        refuse_sandbox_defaults(Settings())   # production with the sandbox's secrets: refuse before anything else
    except (ValidationError, SettingsFileError):
        pass                                  # bad settings: the check below says which, with the file and key
    except RuntimeError as exc:
        fail(exc)
    if not report_problems(instance_config_dir()):
        fail("the configuration has problems (above): fix them, `hotline config check` to re-check")
    settings = Settings()
    try:
        pbx = sandbox(settings)
        pbx.up(timeout)
        typer.echo(f"✔ Asterisk '{settings.instance}': SIP 127.0.0.1:{settings.sip_port}, AMI :{settings.ami_port}")
        RedisServer(settings).up()
        typer.echo(f"✔ Redis {settings.redis_url}")
        _prune_fallback_notes(settings, pbx)
        controller, workers = Controller(settings), AsrWorkers(settings)
        supervisor = SupervisorProcess(settings)
        if supervisor.pid() is None and (controller.stop() | workers.stop()):
            typer.echo("· restarted the controller/ASR worker that ran without the supervisor")
        supervisor.start(timeout)   # runs both and restarts either if it exits
        typer.echo(f"✔ controller http://{settings.http_host}:{settings.http_port}/ (log {controller.log_file})")
        engines = {"fast": settings.asr_keyword_engine, "hanzi": settings.asr_engine}
        running = ", ".join(f"{name} ({engines[name]})" for name in settings.asr_passes)
        typer.echo(f"✔ ASR workers: {running} (log {workers.log_file})")
        typer.echo(f"✔ supervisor restarts them if they exit (log {supervisor.log_file})")
    except (PbxError, PbxConfigError, RedisServerError, ControllerError) as exc:
        fail(exc)


def _prune_fallback_notes(settings: Settings, pbx) -> None:
    """AstDB notes of calls the dialplan took alone, once the controller has journaled and ticketed them."""
    import redis

    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        pruned = prune_taken_notes(client, pbx.cli)
    finally:
        client.close()
    if pruned:
        typer.echo(f"· {pruned} handled fallback note(s) removed from AstDB")


def down() -> None:
    """Stop the ASR worker, the controller, Redis (AOF kept) and Asterisk of this instance."""
    settings = Settings()
    try:
        # the supervisor first, or it would start again what is stopped next
        typer.echo(f"supervisor {'stopped' if SupervisorProcess(settings).stop(grace=20) else 'was not running'}")
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
    restarts = {name: child.get("restarts", 0) for name, child in read_state(settings.state_dir).items()}
    if SupervisorProcess(settings).pid() is not None:
        lines.append((True, "supervisor restarts so far: "
                            + ", ".join(f"{name} {count}" for name, count in restarts.items())))
    else:
        lines.append((True, "supervisor not running (controller and workers are not restarted if they exit)"))
    for ok, text in lines:
        typer.echo(f"{'✔' if ok else '✘'} {text}")
    if not all(ok for ok, _ in lines):
        raise typer.Exit(1)


def supervise() -> None:
    """Run the controller and the ASR workers, restarting either when it exits (`hotline up` starts this)."""
    from hotline.core.logging import setup_logging

    setup_logging()
    settings = Settings()
    children = [Child("controller", Controller(settings).args), Child("asr-worker", AsrWorkers(settings).args)]
    Supervisor(settings.state_dir, children).run()


def serve() -> None:
    """Run the controller in the foreground (AMI, AsyncAGI, features, web app)."""
    from hotline import runtime
    from hotline.core.logging import setup_logging

    settings = Settings()
    try:
        refuse_sandbox_defaults(settings)
    except RuntimeError as exc:
        fail(exc)
    setup_logging()
    priority = raise_priority(settings.controller_nice)    # before any thread starts: they inherit it
    log_event(log, "controller CPU priority", logging.WARNING if "nice_refused" in priority else logging.INFO,
              **priority)
    with asyncio.Runner(loop_factory=event_loop_factory(settings)) as runner:
        runner.run(runtime.serve(settings))


def event_loop_factory(settings: Settings):
    """uvloop unless the settings ask for the standard loop (an A/B in bench/capacity.py)."""
    if settings.event_loop == "uvloop":
        import uvloop
        return uvloop.new_event_loop
    return asyncio.new_event_loop


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
    for command in (up, down, status, serve, supervise, doctor):
        app.command(command.__name__)(command)
