"""What the lines admin reads and writes: the API's views (never a password hash) and the files' data."""
from __future__ import annotations

from hotline.auth.users import Directory, User
from hotline.core.lines import LineCatalogue

MIN_PASSWORD = 8


class AdminInvalid(ValueError):
    """The edit breaks a schema or a cross-file rule; the message says which (422)."""


class NotFound(LookupError):
    pass


def line_view(lines: LineCatalogue, directory: Directory) -> list[dict]:
    names = {u.endpoint: u.display_name for u in directory.users if u.endpoint}
    return [line.model_dump(mode="json") | {"agent_names": {e: names.get(e, "") for e in line.agents}}
            for line in lines.queues]


def user_view(user: User, lines: LineCatalogue) -> dict:
    return user.public(lines) | {"disabled": user.disabled}    # public(): no password hash


def users_data(directory: Directory) -> dict:
    """users.yaml as written back: settings, then each user with its hash (model_dump leaves hashes out)."""
    data = directory.model_dump(mode="json", exclude={"users"})
    data["users"] = [{k: v for k, v in (u.model_dump(mode="json") | {"password_hash": u.password_hash}).items()
                      if v is not None and not (k == "disabled" and v is False)} for u in directory.users]
    return data


def lines_data(lines: LineCatalogue) -> dict:
    return {"queues": [line.model_dump(mode="json") for line in lines.queues]}


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AdminInvalid(f"password too short (at least {MIN_PASSWORD} characters)")
    return password


def existing_user(directory: Directory, username: str) -> User:
    user = directory.get(username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def parse_user(data: dict) -> User:
    try:
        return User.model_validate(data)
    except ValueError as exc:
        raise AdminInvalid(first_error(exc)) from None


def first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        err = errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return f"{where + ': ' if where else ''}{err['msg'].removeprefix('Value error, ')}"
    return str(exc)
