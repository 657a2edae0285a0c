"""Lines and agent accounts, edited by admins: validate both files together, write them (previous kept), update
the running controller in place (line catalogue, users directory), apply to Asterisk, audit each change.

queues.yaml and users.yaml stay the one source of truth: `hotline config check`, `hotline pbx up` and a
restarted controller read exactly what the page wrote (docs/decisions.md, "Admin edits write the YAML files").
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from hotline.admin import audit
from hotline.admin.yamlfile import write_yaml
from hotline.auth.service import forget_directory, get_directory
from hotline.auth.users import Directory, User, hash_password, users_file
from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue, LinesError, parse_lines
from hotline.core.logging import log_event
from hotline.lineadmin.apply import ApplyError, apply_lines, sign_out
from hotline.lineadmin.data import (
    AdminInvalid,
    NotFound,
    checked_password,
    existing_user,
    first_error,
    line_view,
    lines_data,
    parse_user,
    user_view,
    users_data,
)

log = logging.getLogger("hotline.lineadmin")
NOT_APPLIED = "not applied to Asterisk (saved; `hotline pbx up` or the next change applies it)"
LINE_FIELDS = ("label", "max_wait_seconds", "service_level_seconds", "members", "login_members")


class LinesAdmin:
    def __init__(self, settings: Settings, lines: LineCatalogue, ami):
        self.settings, self.lines, self.ami = settings, lines, ami
        self.phones = [f"agent{n}" for n in range(1, settings.agent_count + 1)]
        self._lock = asyncio.Lock()

    # --- reading ------------------------------------------------------------------------------------
    def view(self) -> dict:
        directory = get_directory()
        return {"lines": line_view(self.lines, directory), "phones": self.phones,
                "users": [user_view(u, self.lines) for u in directory.users]}

    # --- lines --------------------------------------------------------------------------------------
    async def update_line(self, redis, actor: audit.Actor, name: str, changes: dict[str, Any], note: str) -> dict:
        async with self._lock:
            if name not in self.lines:
                raise NotFound(f"no line {name!r} ({', '.join(self.lines.names)})")
            edited = self._catalogue(lambda line: line | changes if line["name"] == name else line)
            directory = get_directory()
            self._cross_check(edited, directory)
            before = self.lines.get(name).model_dump(mode="json")
            steps = await self._commit(edited, None)
            await audit.record(redis, actor, "line.update", f"line:{name}", before,
                               edited.get(name).model_dump(mode="json"), note)
            return {"line": edited.get(name).model_dump(mode="json"), "applied": steps}

    # --- users --------------------------------------------------------------------------------------
    async def create_user(self, redis, actor: audit.Actor, fields: dict[str, Any], password: str,
                          lines: list[str] | None, note: str) -> dict:
        async with self._lock:
            directory = get_directory()
            if directory.get(fields.get("username", "")):
                raise AdminInvalid(f"user {fields['username']!r} already exists")
            hashed = await asyncio.to_thread(hash_password, checked_password(password))
            edited = self._directory(directory, directory.users + [parse_user({**fields, "password_hash": hashed})])
            user = edited.get(fields["username"])
            assert user is not None
            catalogue = self._with_lines(user.endpoint, lines) if lines is not None else self.lines
            self._cross_check(catalogue, edited)
            steps = await self._commit(catalogue if catalogue is not self.lines else None, edited)
            after = user_view(user, catalogue)
            await audit.record(redis, actor, "user.create", f"user:{user.username}", None, after, note)
            return {"user": after, "applied": steps}

    async def update_user(self, redis, actor: audit.Actor, username: str, changes: dict[str, Any],
                          lines: list[str] | None, note: str) -> dict:
        async with self._lock:
            directory = get_directory()
            old = existing_user(directory, username)
            before = user_view(old, self.lines)
            if username == actor.username and (changes.get("disabled") or changes.get("role", "admin") != "admin"):
                raise AdminInvalid("an admin cannot disable or demote their own account")
            updated = parse_user(old.model_dump() | {"password_hash": old.password_hash} | changes)
            edited = self._directory(directory, [updated if u.username == username else u for u in directory.users])
            catalogue = self._rebind(old.endpoint, updated.endpoint)
            if lines is not None:
                catalogue = self._with_lines(updated.endpoint, lines, catalogue)
            self._cross_check(catalogue, edited)
            steps = await self._commit(catalogue if catalogue is not self.lines else None, edited)
            if updated.disabled and not old.disabled and updated.endpoint:
                try:
                    steps += await sign_out(self.ami, self.lines, updated.endpoint)
                except ApplyError as exc:
                    steps.append(f"{NOT_APPLIED}: {exc}")
            after = user_view(updated, catalogue)
            await audit.record(redis, actor, "user.update", f"user:{username}", before, after, note)
            return {"user": after, "applied": steps}

    async def reset_password(self, redis, actor: audit.Actor, username: str, password: str, note: str) -> dict:
        async with self._lock:
            directory = get_directory()
            old = existing_user(directory, username)
            hashed = await asyncio.to_thread(hash_password, checked_password(password))
            updated = old.model_copy(update={"password_hash": hashed})
            edited = self._directory(directory, [updated if u.username == username else u for u in directory.users])
            await self._commit(None, edited)
            # never the hash, not even before/after: only that it changed (sessions of that user end with it)
            await audit.record(redis, actor, "user.password", f"user:{username}", {"password": "(old)"},
                               {"password": "(reset)"}, note)
            return {"user": user_view(updated, self.lines)}

    # --- building and checking ----------------------------------------------------------------------
    def _catalogue(self, edit, base: LineCatalogue | None = None) -> LineCatalogue:
        """The catalogue with `edit` applied to each line's data, validated like queues.yaml."""
        data = {"queues": [edit(line.model_dump(mode="json")) for line in (base or self.lines).queues]}
        try:
            return parse_lines(data, "queues")
        except LinesError as exc:
            raise AdminInvalid(str(exc).removeprefix("queues: ")) from None

    def _rebind(self, old: str | None, new: str | None) -> LineCatalogue:
        """An agent moved to another phone keeps its lines; one without a phone leaves them."""
        if old == new or not old:
            return self.lines

        def rename(endpoints: list[str]) -> list[str]:
            return [new for e in endpoints if e == old] + [e for e in endpoints if e != old] if new else \
                [e for e in endpoints if e != old]
        return self._catalogue(lambda line: line | {"members": rename(line["members"]),
                                                    "login_members": rename(line["login_members"])})

    def _with_lines(self, endpoint: str | None, wanted: list[str], base: LineCatalogue | None = None) -> LineCatalogue:
        """The agent serves exactly `wanted`: lines it leaves drop it, lines it joins get it as a console member."""
        base = base or self.lines
        unknown = [w for w in wanted if w not in base]
        if unknown:
            raise AdminInvalid(f"unknown line(s) {unknown} ({', '.join(base.names)})")
        if wanted and not endpoint:
            raise AdminInvalid("only a user bound to a phone (endpoint) can serve lines")

        def edit(line: dict) -> dict:
            if line["name"] in wanted:
                joined = endpoint in line["members"] or endpoint in line["login_members"]
                return line if joined else line | {"login_members": line["login_members"] + [endpoint]}
            return line | {"members": [e for e in line["members"] if e != endpoint],
                           "login_members": [e for e in line["login_members"] if e != endpoint]}
        return self._catalogue(edit, base)

    def _directory(self, directory: Directory, users: list[User]) -> Directory:
        try:
            return Directory.model_validate(directory.model_dump() | {"users": [
                u.model_dump() | {"password_hash": u.password_hash} for u in users]})
        except ValueError as exc:
            raise AdminInvalid(first_error(exc)) from None

    def _cross_check(self, lines: LineCatalogue, directory: Directory) -> None:
        """hotline config check's rules between the two files: agents on this PBX's phones, every line member
        a phone bound to a user."""
        bound = {u.endpoint for u in directory.users if u.endpoint}
        for user in directory.users:
            if user.endpoint and user.endpoint not in self.phones:
                raise AdminInvalid(f"{user.endpoint!r} is not a phone of this PBX ({', '.join(self.phones)})")
        for line in lines.queues:
            for endpoint in line.agents:
                if endpoint not in bound:
                    raise AdminInvalid(f"line {line.name}: no user is bound to phone {endpoint!r}")

    async def _commit(self, lines: LineCatalogue | None, directory: Directory | None) -> list[str]:
        """Write, swap in place, apply. Files first: a crash after this still leaves them consistent."""
        steps: list[str] = []
        if directory is not None:
            await asyncio.to_thread(write_yaml, users_file(), users_data(directory), False)
            forget_directory()
        if lines is not None:
            await asyncio.to_thread(write_yaml, self.settings.queues_file, lines_data(lines))
            old = LineCatalogue.model_validate(self.lines.model_dump())
            self.lines.replace_from(lines)
            try:
                steps = await apply_lines(self.settings, self.ami, old, lines)
            except ApplyError as exc:   # saved and audited all the same; Asterisk reads the files at its reload
                log_event(log, "lines not applied to asterisk", logging.WARNING, error=str(exc))
                steps = [f"{NOT_APPLIED}: {exc}"]
        log_event(log, "lines/users changed", lines=lines is not None, users=directory is not None)
        return steps
