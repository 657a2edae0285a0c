"""`hotline users ...`: list console users and change a password in config/users.yaml (comments kept)."""
from __future__ import annotations

from pathlib import Path

import typer

from hotline.auth.users import UsersFileError, hash_password, load_directory, users_file
from hotline.core.config import get_settings
from hotline.core.lines import load_lines

app = typer.Typer(no_args_is_help=True, help="Console users (config/users.yaml).")


def _set_hash(text: str, old_hash: str, new_hash: str) -> str:
    """Swap one user's hash in place (salted hashes are unique), leaving comments and layout as written."""
    if text.count(old_hash) != 1:
        raise UsersFileError("cannot find that user's password_hash exactly once in the file")
    return text.replace(old_hash, new_hash)


@app.command("list")
def list_users(file: Path = typer.Option(None, help="users.yaml (default: config/users.yaml)")) -> None:
    """Users with role, phone endpoint and the lines they serve (config/queues.yaml)."""
    lines = load_lines(get_settings().queues_file)
    for user in load_directory(file).users:
        typer.echo(f"{user.username:<12} {user.role.value:<10} {user.endpoint or '-':<8} "
                   f"{','.join(lines.queues_for(user.endpoint)) or '-':<20} {user.display_name}")


@app.command("set-password")
def set_password(username: str,
                 password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
                 file: Path = typer.Option(None, help="users.yaml (default: config/users.yaml)")) -> None:
    """Store a new salted PBKDF2 hash; running sessions keep working, new logins need the new password."""
    path = file or users_file()
    user = load_directory(path).get(username)
    if user is None:
        raise typer.BadParameter(f"no such user {username!r}")
    if len(password) < 8:
        raise typer.BadParameter("use at least 8 characters")
    updated = _set_hash(path.read_text(encoding="utf-8"), user.password_hash, hash_password(password))
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(updated, encoding="utf-8")
    load_directory(tmp)  # never leave an invalid users file behind
    tmp.replace(path)
    typer.echo(f"password of {username} changed")
