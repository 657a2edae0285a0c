"""`hotline deploy images`: the container images of docker-compose.yml, built offline (no registry)."""
from __future__ import annotations

import typer

from hotline.commands import fail
from hotline.deploy.images import ALL, ImageBuildError, build_images

app = typer.Typer(no_args_is_help=True)


@app.command()
def images(only: list[str] = typer.Option(list(ALL), "--only", help=f"Images to build: {', '.join(ALL)}."),
           rebuild: bool = typer.Option(False, help="Build the Debian roots again even if they exist.")) -> None:
    """Build the images: Debian roots from this machine's apt mirror (mmdebstrap | docker import), then the
    app (controller/web + ASR worker) and Redis images on top."""
    try:
        tags = build_images(tuple(only), rebuild=rebuild, log=typer.echo)
    except ImageBuildError as exc:
        fail(exc)
    typer.echo("images ready: " + ", ".join(tags))
