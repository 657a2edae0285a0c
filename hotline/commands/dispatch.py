"""`hotline dispatch ...`: the 承办单位 directory and 派单 rules from the shell (admins without a browser)."""
from __future__ import annotations

import asyncio
import getpass
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def units() -> None:
    """The units, and which rules send tickets to each."""
    from hotline.dispatch.directory import load_units

    config = load_units()
    for unit in config.units:
        rules = [r.id for r in config.rules if r.unit == unit.id]
        default = " (default)" if unit.id == config.default_unit else ""
        typer.echo(f"{unit.id:24} {unit.kind:10} {unit.name}{default}  rules: {', '.join(rules) or '—'}")


@app.command()
def suggest(text: str, line: str = typer.Option("general", help="the line the call came in on")) -> None:
    """Which unit a caller's words would be suggested to, and by which rule."""
    from hotline.dispatch.directory import load_units
    from hotline.dispatch.evaluate import route

    found, category = route(load_units(), text, line)
    typer.echo(f"{found.unit} {found.unit_name} (rule {found.rule}, category {category}, place {found.place or '—'})")


@app.command()
def evaluate(labelled: Path = typer.Option(None, help="default: tests/data/dispatch_labelled.yaml")) -> None:
    """Accuracy of the suggested unit on a labelled set (also bench/dispatch_accuracy.py)."""
    from hotline.dispatch.evaluate import LABELLED, report

    text, _ = report(labelled or LABELLED)
    typer.echo(text)


@app.command("apply")
def apply_file(path: Path, note: str = typer.Option("", help="why (kept in the audit trail)")) -> None:
    """Replace the directory with FILE (validated against the taxonomy first), audited as an admin change;
    refused, unchanged, while Redis (the audit trail) is unreachable."""
    from hotline.dispatch.directory import UnitsError, load_units, read_units
    from hotline.tickets.taxonomy import default_taxonomy

    try:
        config = read_units(path, default_taxonomy().category_names)
        before = load_units()
    except UnitsError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    try:
        asyncio.run(_save_audited(before, config, note))
    except (ConnectionError, OSError) as exc:
        typer.secho(f"not changed: Redis (the audit trail) is not reachable ({exc}); `hotline redis up`",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


async def _save_audited(before, config, note: str) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from hotline.admin import audit
    from hotline.core.config import get_settings
    from hotline.core.redis_client import redis_client
    from hotline.dispatch.directory import save_units

    client = redis_client(get_settings())
    try:
        await client.ping()                 # no change that the audit trail could not record
        save_units(config)
        await audit.record(client, audit.Actor(getpass.getuser(), "admin", "cli"), "dispatch.units", "units",
                           before.model_dump(mode="json"), config.model_dump(mode="json"), note)
    except RedisConnectionError as exc:
        raise ConnectionError(str(exc)) from exc
    finally:
        await client.aclose()
    typer.echo(f"✔ {len(config.units)} units, {len(config.rules)} rules written to {get_settings().units_file}")
