"""`hotline config check`: validate every config file, alone and against the others."""
from __future__ import annotations

from pathlib import Path

import typer

from hotline.core.config import CONFIG_DIR, Settings

app = typer.Typer(no_args_is_help=True)


def report_problems(config_dir: Path) -> bool:
    """Print one `file:field: reason` line per problem on stderr; True when there was none."""
    from hotline.configcheck import check_config

    problems = check_config(config_dir)
    for problem in problems:
        typer.secho(str(problem), fg=typer.colors.RED, err=True)
    return not problems


@app.command()
def check(config_dir: Path = typer.Option(None, "--dir", help="default: HOTLINE_CONFIG_DIR or config/")) -> None:
    """Every file in the config dir against its schema and the others (menus name lines and prompts, lines
    name agents' phones, overflow rules and taxonomy name lines, hotline.toml names real settings).
    Exit 0 when all is well, 1 with one line per problem."""
    folder = config_dir or instance_config_dir()
    if not report_problems(folder):
        raise typer.Exit(1)
    typer.echo(f"✔ config in {folder} is consistent")


def instance_config_dir() -> Path:
    """The config dir this instance uses (also when its hotline.toml is broken)."""
    try:
        return Settings().config_dir
    except Exception:   # a broken hotline.toml: check_config reports it
        import os
        return Path(os.environ.get("HOTLINE_CONFIG_DIR") or CONFIG_DIR)
