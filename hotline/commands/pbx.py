"""`hotline pbx up|down|status|cli|build`: the local Asterisk sandbox."""
from __future__ import annotations

from pathlib import Path

import typer

from hotline.commands import fail
from hotline.core.config import Settings
from hotline.pbx import sandbox
from ivr import prompts
from telephony.pbx import PbxBuildError, PbxConfigError, PbxError, build_root

app = typer.Typer(no_args_is_help=True)


@app.command()
def build() -> None:
    """Build the shared Debian-unstable Asterisk root with mmdebstrap (reused if it exists)."""
    settings = Settings()
    try:
        built = build_root(settings.pbx_root, log=typer.echo)
    except PbxBuildError as exc:
        fail(exc)
    typer.echo(f"{'built' if built else 'reusing'} Asterisk root at {settings.pbx_root}")


@app.command()
def render(out: Path = typer.Argument(..., help="becomes /srv/hotline/<instance> of an Asterisk container")) -> None:
    """Write this instance's Asterisk config, directories and prompts into OUT (docker-compose's
    ./deploy/asterisk), rendered with the current HOTLINE_* settings."""
    pbx = sandbox()
    try:
        etc = pbx.write_config(host_dir=out)
        built = prompts.build_defaults(pbx.settings, folder=out / "sounds")
    except (PbxConfigError, prompts.PromptError) as exc:
        fail(exc)
    typer.echo(f"wrote {etc} and {len(built)} prompt(s) into {out / 'sounds'}")


@app.command()
def up(timeout: float = typer.Option(60.0, help="Seconds to wait for Asterisk and its AMI.")) -> None:
    """Render the config and start this instance's Asterisk (no-op if it runs)."""
    pbx = sandbox()
    try:
        started = pbx.up(timeout)
    except (PbxError, PbxConfigError) as exc:
        fail(exc)
    typer.echo(f"Asterisk '{pbx.settings.instance}' {'started' if started else 'already running'} "
               f"(pid {pbx.pid()}, AMI 127.0.0.1:{pbx.settings.ami_port}, SIP 127.0.0.1:{pbx.settings.sip_port})")


@app.command()
def down() -> None:
    """Stop this instance's Asterisk."""
    pbx = sandbox()
    try:
        stopped = pbx.down()
    except PbxError as exc:
        fail(exc)
    typer.echo(f"Asterisk '{pbx.settings.instance}' {'stopped' if stopped else 'was not running'}")


@app.command()
def status() -> None:
    """Version, pid, AMI reachability, ports and log paths. Exit 1 if not running."""
    try:
        st = sandbox().status()
    except PbxError as exc:
        fail(exc)
    typer.echo(f"version:      {st.version}")
    typer.echo(f"running:      {'yes' if st.running else 'no'}" + (f" (pid {st.pid})" if st.pid else ""))
    typer.echo(f"AMI:          127.0.0.1:{st.ami_port} reachable: {'yes' if st.ami_reachable else 'no'}")
    typer.echo(f"SIP:          127.0.0.1:{st.sip_port}/udp")
    typer.echo(f"log:          {st.log_path}")
    typer.echo(f"console log:  {st.console_log}")
    if not st.running:
        raise typer.Exit(1)


@app.command()
def cli(command: str = typer.Argument(..., help='An Asterisk CLI command, e.g. "pjsip show endpoints".')) -> None:
    """Run an Asterisk CLI command against this instance."""
    try:
        typer.echo(sandbox().cli(command), nl=False)
    except PbxError as exc:
        fail(exc)
