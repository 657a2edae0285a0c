"""Lines and agent accounts API: supervisors and admins read, admins write (validated, audited, applied live)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, RedisDep, SupervisorUser, feature
from hotline.auth.users import Role
from hotline.lineadmin.service import AdminInvalid, LinesAdmin, NotFound

router = APIRouter(tags=["admin: lines and agents"])
LinesDep = Annotated[LinesAdmin, Depends(feature("line_admin"))]
Endpoint = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class LineChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, min_length=1, max_length=32)
    max_wait_seconds: int | None = Field(default=None, ge=10, le=86400)
    service_level_seconds: int | None = Field(default=None, ge=1, le=600)
    members: list[Endpoint] | None = Field(default=None, description="static members: answer without a console login")
    login_members: list[Endpoint] | None = Field(default=None, description="join when they sign in on the console")
    note: str = Field(default="", max_length=200)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role = Role.agent
    endpoint: Endpoint | None = None
    password: str = Field(min_length=1, max_length=128, repr=False)
    lines: list[str] | None = Field(default=None, description="lines the agent serves (joins them on console login)")
    note: str = Field(default="", max_length=200)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    endpoint: Endpoint | None = Field(default=None, description="bind to this phone (unbind: true removes it)")
    unbind: bool = False
    disabled: bool | None = Field(default=None, description="true: cannot log in, sessions end at once")
    lines: list[str] | None = None
    note: str = Field(default="", max_length=200)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=128, repr=False)
    note: str = Field(default="", max_length=200)


async def _run(coro):
    try:
        return await coro
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except AdminInvalid as exc:
        raise HTTPException(422, str(exc)) from None
    except OSError as exc:      # e.g. a read-only config mount: nothing was changed
        raise HTTPException(503, f"cannot write the config file: {exc.strerror or exc}") from None


@router.get("/api/lines")
async def get_lines(admin: LinesDep, _: SupervisorUser) -> dict:
    """Every line (label, max wait, service level, members, login_members, agents' names), the PBX's phones
    and the user accounts (never their password hashes)."""
    return admin.view()


@router.patch("/api/lines/{name}")
async def patch_line(name: str, body: LineChange, admin: LinesDep, redis: RedisDep, user: AdminUser,
                     request: Request) -> dict:
    """Change a line; applied to Asterisk at once (QueueReload of that queue: waiting callers stay). `applied`
    lists what was done; an entry starting "not applied to Asterisk" means saved (and audited) but Asterisk
    was not reachable."""
    changes = body.model_dump(exclude_none=True, exclude={"note"})
    return await _run(admin.update_line(redis, actor_of(user, request), name, changes, body.note))


@router.post("/api/users", status_code=201)
async def post_user(body: NewUser, admin: LinesDep, redis: RedisDep, user: AdminUser, request: Request) -> dict:
    """Create an account (password hashed, never stored or logged in clear)."""
    fields = body.model_dump(exclude={"password", "lines", "note"}, exclude_none=True)
    return await _run(admin.create_user(redis, actor_of(user, request), fields, body.password, body.lines, body.note))


@router.patch("/api/users/{username}")
async def patch_user(username: str, body: UserChange, admin: LinesDep, redis: RedisDep, user: AdminUser,
                     request: Request) -> dict:
    """Rename, change role, bind to a phone (`endpoint`) or unbind (`unbind: true`), disable/enable, set lines."""
    changes = body.model_dump(exclude_none=True, exclude={"lines", "note", "unbind"})
    if body.unbind:
        changes["endpoint"] = None
    return await _run(admin.update_user(redis, actor_of(user, request), username, changes, body.lines, body.note))


@router.post("/api/users/{username}/password")
async def post_password(username: str, body: PasswordReset, admin: LinesDep, redis: RedisDep, user: AdminUser,
                        request: Request) -> dict:
    """Set a new password; the user's sessions end (they were signed with the old one)."""
    return await _run(admin.reset_password(redis, actor_of(user, request), username, body.password, body.note))
