"""`hotline prompts ...`: default Mandarin prompts and admins' recordings."""
from __future__ import annotations

from pathlib import Path

import typer

from hotline.core.config import get_settings
from ivr import prompts

app = typer.Typer(no_args_is_help=True)


def _run(work):
    try:
        return work()
    except prompts.PromptError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


@app.command()
def build(force: bool = typer.Option(False, help="re-synthesise defaults (never overwrites admins' recordings)")) -> None:
    """Synthesise missing default prompts (espeak-ng Mandarin → 8 kHz WAV)."""
    built = _run(lambda: prompts.build_defaults(get_settings(), force=force))
    typer.echo(f"built {len(built)} prompt(s): {', '.join(built) or '-'} in {prompts.sounds_dir(get_settings())}")


@app.command("set")
def set_recording(name: str, recording: Path) -> None:
    """Replace prompt NAME with an admin's recording (any format sox reads)."""
    target = _run(lambda: prompts.set_recording(get_settings(), name, recording))
    typer.echo(f"prompt {name} now plays {recording} ({target})")


@app.command()
def reset(name: str) -> None:
    """Go back to the synthesised default of prompt NAME."""
    _run(lambda: prompts.reset_to_default(get_settings(), name))
    typer.echo(f"prompt {name} reset to its default")


@app.command("list")
def list_prompts() -> None:
    settings = get_settings()
    folder = prompts.sounds_dir(settings)
    for name, text in prompts.default_texts().items():
        source = "admin" if (folder / f"{name}{prompts.ADMIN_MARK}").exists() else "default"
        state = source if (folder / f"{name}.wav").exists() else "missing"
        typer.echo(f"{name:22} {state:8} {text}")
