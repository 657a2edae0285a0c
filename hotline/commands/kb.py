"""`hotline kb ...`: import the knowledge-base seed, search it as the screen-pop does."""
from __future__ import annotations

import getpass
from pathlib import Path

import typer

from hotline.commands import run_with_redis
from hotline.core.config import get_settings
from hotline.core.lines import load_lines
from hotline.kb.seed import SeedError, import_articles, load_seed

app = typer.Typer(no_args_is_help=True)


def _kb(client):
    from hotline.kb.service import KnowledgeBase
    from hotline.tickets.taxonomy import default_taxonomy
    settings = get_settings()
    return KnowledgeBase(client, today=settings.today, categories=set(default_taxonomy().category_names),
                         lines=set(load_lines(settings.queues_file).names))


@app.command("import")
def import_(path: Path = typer.Argument(None, help="YAML with `articles:` (default: config/kb.yaml)")) -> None:
    """Add the file's articles whose titles are not in the knowledge base yet (audited as this OS user)."""
    from hotline.admin.audit import Actor
    try:
        articles = load_seed(path or get_settings().kb_file)
    except SeedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def work(client):
        return await import_articles(_kb(client), articles, Actor(getpass.getuser(), "admin", "cli"))
    added, skipped = run_with_redis(work)
    typer.echo(f"imported {added} article(s), {skipped} already present")


@app.command()
def search(text: str, category: str = "", line: str = "", k: int = 3) -> None:
    """The articles the screen-pop would suggest for TEXT."""
    async def work(client):
        return await _kb(client).search(text, category=category, line=line, k=k)
    for hit in run_with_redis(work):
        typer.echo(f"{hit['score']:7.3f}  {hit['id']:<8} {hit['title']}  ({' '.join(hit['matched'])})")
