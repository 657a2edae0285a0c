"""`hotline menus ...`: telephony admins validate, publish, inspect and roll back voice menus."""
from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer

from hotline.admin import audit, menus
from hotline.commands import run_with_redis
from hotline.core.config import get_settings
from hotline.core.lines import LinesError, load_lines
from ivr import prompts
from ivr.menus.checks import check_document
from ivr.menus.store import MenuError, MenuStore, load_menu_file

app = typer.Typer(no_args_is_help=True)


def _check(path: Path | None):
    settings = get_settings()
    try:
        lines = load_lines(settings.queues_file)
        known = {"known_queues": set(lines.names), "known_partners": set(lines.partner_names),
                 "known_prompts": menus.known_prompts(settings)}
        return load_menu_file(path or settings.menus_file, **known)
    except (MenuError, LinesError, prompts.PromptError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


def _with_store(work):
    """`work(MenuStore)` on this instance's Redis; an admin's mistake (MenuError) exits 2 with the reason."""
    async def operation(client):
        try:
            return await work(MenuStore(client))
        except MenuError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
    return run_with_redis(operation)


@app.command()
def validate(path: Path = typer.Argument(None, help="default: menus.yaml of the config dir")) -> None:
    """Check a menu file against the schema, the known queues and prompts."""
    tree = _check(path)
    labels = load_lines(get_settings().queues_file).labels()
    for issue in check_document(tree.model_dump(mode="json"), lines=labels, prompts=None):
        typer.echo(f"warning: {'.'.join(issue.path)}: {issue.message}")   # errors were refused above
    typer.echo(f"ok: {len(tree.menus)} menu(s), queues {sorted(tree.queues())}, prompts {sorted(tree.prompts())}")


def _cli_actor(author: str | None) -> audit.Actor:
    return audit.Actor(author or getpass.getuser(), "admin", "cli")


@app.command()
def publish(path: Path = typer.Argument(None, help="default: menus.yaml of the config dir"), note: str = "",
            author: str = typer.Option(None, help="default: your OS user")) -> None:
    """Publish a new version; new calls use it at once, calls in progress keep theirs. Audited."""
    tree = _check(path)
    settings = get_settings()
    lines = load_lines(settings.queues_file)
    document = tree.model_dump(mode="json")
    version = _with_store(lambda store: menus.publish(store.redis, document, _cli_actor(author), lines, settings,
                                                      note))
    typer.echo(f"published menu version {version}")


@app.command()
def show(version: int = typer.Argument(None, help="default: the active version")) -> None:
    async def work(store: MenuStore):
        chosen = version or await store.active_version()
        if chosen is None:
            raise MenuError("no menu has been published yet")
        return chosen, await store.get(chosen)
    chosen, tree = _with_store(work)
    typer.echo(json.dumps({"version": chosen, "menu": tree.model_dump(mode="json")}, ensure_ascii=False, indent=2))


@app.command()
def history() -> None:
    async def work(store: MenuStore):
        return {"active": await store.active_version(), "versions": await store.versions(),
                "history": await store.history()}
    typer.echo(json.dumps(_with_store(work), ensure_ascii=False, indent=2))


@app.command()
def rollback(version: int, author: str = typer.Option(None, help="default: your OS user"), note: str = "") -> None:
    """Make an earlier version active again (applies to new calls). Audited."""
    _with_store(lambda store: menus.rollback(store.redis, version, _cli_actor(author), note))
    typer.echo(f"active menu version is now {version}")
