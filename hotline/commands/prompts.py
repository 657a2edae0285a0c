"""`hotline prompts ...`: default Mandarin prompts and admins' recordings (the same service as /admin)."""
from __future__ import annotations

import getpass
from pathlib import Path

import typer

from hotline.commands import run_with_redis
from hotline.core.config import get_settings
from ivr import prompts

app = typer.Typer(no_args_is_help=True)


def _run(work):
    try:
        return work()
    except prompts.PromptError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


def _change(method: str, *args) -> dict:
    """One audited change through hotline.prompts.PromptService, as the OS user from the CLI."""
    from hotline.admin.audit import Actor
    from hotline.prompts.service import PromptService

    async def operation(client):
        service = PromptService(get_settings(), client)
        return await getattr(service, method)(*args, Actor(getpass.getuser(), "admin", "cli"))
    _run(lambda: prompts.check_name(args[0]))
    return _run(lambda: run_with_redis(operation))


@app.command()
def build(force: bool = typer.Option(False, help="re-synthesise defaults (never overwrites admins' recordings)")) -> None:
    """Synthesise missing default prompts (espeak-ng Mandarin → 8 kHz WAV)."""
    built = _run(lambda: prompts.build_defaults(get_settings(), force=force))
    typer.echo(f"built {len(built)} prompt(s): {', '.join(built) or '-'} in {prompts.sounds_dir(get_settings())}")


@app.command()
def upload(name: str, recording: Path) -> None:
    """Replace prompt NAME with a recording (any format sox reads; 0.3-120 s, not silent)."""
    if not recording.is_file():
        typer.echo(f"error: recording {recording} does not exist", err=True)
        raise typer.Exit(2)
    info = _change("upload", name, recording)
    typer.echo(f"prompt {name} now plays {recording.name} ({info['duration']} s)")


app.command("set", hidden=True)(upload)   # the command's earlier name


@app.command()
def tts(name: str, text: str) -> None:
    """Re-synthesise prompt NAME from TEXT with the built-in Mandarin TTS."""
    info = _change("synthesise", name, text)
    typer.echo(f"prompt {name} re-synthesised ({info['duration']} s)")


@app.command()
def reset(name: str) -> None:
    """Go back to the default of prompt NAME."""
    _change("reset", name)
    typer.echo(f"prompt {name} reset to its default")


@app.command("list")
def list_prompts() -> None:
    from hotline.prompts.store import PromptStore
    for info in _run(lambda: PromptStore(get_settings()).list()):
        typer.echo(f"{info['name']:22} {info['source']:11} {info['duration'] or 0:6.2f}s {info['text'] or ''}")
