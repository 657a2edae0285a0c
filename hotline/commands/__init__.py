"""Typer sub-commands of `hotline`; `fail` is how a command reports an error it cannot get past."""
from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: object) -> NoReturn:
    """`✘ message` in red on stderr, exit status 1."""
    typer.secho(f"✘ {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
