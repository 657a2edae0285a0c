"""`hotline redis up|down|status`: the project-owned Redis server."""
from __future__ import annotations

import typer

from hotline.commands import fail
from hotline.core.config import Settings
from hotline.core.redis_server import RedisServer, RedisServerError

app = typer.Typer(no_args_is_help=True)


@app.command()
def up() -> None:
    """Start Redis on settings.redis_port (no-op if it answers)."""
    server = RedisServer(Settings())
    try:
        started = server.up()
    except RedisServerError as exc:
        fail(exc)
    typer.echo(f"Redis {'started' if started else 'already running'} at {server.url} (data {server.data_dir})")


@app.command()
def down() -> None:
    """SHUTDOWN Redis; its append-only file stays."""
    server = RedisServer(Settings())
    try:
        stopped = server.down()
    except RedisServerError as exc:
        fail(exc)
    typer.echo(f"Redis {'stopped' if stopped else 'was not running'}")


@app.command()
def status() -> None:
    """Whether Redis answers, its pid, data dir and log. Exit 1 if it does not answer."""
    st = RedisServer(Settings()).status()
    typer.echo(f"running:  {'yes' if st.running else 'no'}" + (f" (pid {st.pid})" if st.pid else ""))
    typer.echo(f"url:      {st.url}")
    typer.echo(f"data:     {st.data_dir} (appendonly)")
    typer.echo(f"log:      {st.log_file}")
    if not st.running:
        raise typer.Exit(1)
