"""An edited line catalogue applied to the running Asterisk without dropping a call.

queues.conf and the dialplan are re-rendered (persistence: the next start reads them), then per changed line:
QueueReload of that queue's members and parameters (app_queue keeps its waiting callers), Setvar of the
line's max-wait global, QueueRemove / QueueAdd of console (dynamic) members. No restart, no `core reload`.
"""
from __future__ import annotations

import asyncio
import logging

from hotline.core.config import Settings
from hotline.core.lines import Line, LineCatalogue
from hotline.core.logging import log_event
from hotline.pbx import write_line_config
from telephony.ami.errors import AmiActionError, AmiError

log = logging.getLogger("hotline.lineadmin")
LOGGED_OUT_REASON = "签出"   # hotline.agents.membership: a paused static member that signed out


class ApplyError(RuntimeError):
    """Asterisk refused or could not be reached; queues.yaml is already written (the next reload applies it)."""


def _reload_needed(old: Line, new: Line) -> bool:
    return (old.members, old.service_level_seconds, old.label) != (new.members, new.service_level_seconds, new.label)


async def apply_lines(settings: Settings, ami, old: LineCatalogue, new: LineCatalogue) -> list[str]:
    """Returns what was done, one line each (shown to the admin)."""
    etc = await asyncio.to_thread(write_line_config, settings, new)
    done = [f"rendered queues.conf, extensions.conf in {etc}" if etc else
            "no Asterisk instance directory here: run `hotline pbx up` on the PBX host to persist"]
    for line in new.queues:
        before = old.get(line.name) if line.name in old else None
        if before == line:
            continue
        if before is None or _reload_needed(before, line):
            if etc:
                await _send(ami, "QueueReload", Queue=line.asterisk_queue, Members="yes", Parameters="yes", Rules="no")
                done.append(f"QueueReload {line.asterisk_queue}")
            else:   # nothing to reload from: add the static members as dynamic ones until the PBX re-renders
                for endpoint in set(line.members) - set(before.members if before else []):
                    await _add(ami, line, endpoint, done)
        if before is None or before.max_wait_seconds != line.max_wait_seconds:
            await _send(ami, "Setvar", Variable=f"HOTLINE_MAXWAIT_{line.name}", Value=str(line.max_wait_seconds))
            done.append(f"max wait {line.name} = {line.max_wait_seconds} s")
        await _dynamic(ami, before, line, done)
    log_event(log, "lines applied to asterisk", steps=len(done))
    return done


async def sign_out(ami, lines: LineCatalogue, endpoint: str) -> list[str]:
    """A disabled agent leaves the queues it joined on the console (static members stay: they are phones)."""
    done: list[str] = []
    for line in lines.queues:
        if endpoint in line.login_members:
            await _send(ami, "QueueRemove", ok_if="not there", Queue=line.asterisk_queue, Interface=f"PJSIP/{endpoint}")
            done.append(f"QueueRemove {endpoint} from {line.asterisk_queue}")
    return done


async def _dynamic(ami, before: Line | None, line: Line, done: list[str]) -> None:
    """Console members: one removed from login_members leaves the queue now; one added joins now if signed in."""
    old = set(before.login_members if before else [])
    for endpoint in sorted(old - set(line.login_members) - set(line.members)):
        await _send(ami, "QueueRemove", ok_if="not there", Queue=line.asterisk_queue, Interface=f"PJSIP/{endpoint}")
        done.append(f"QueueRemove {endpoint} from {line.asterisk_queue}")
    for endpoint in sorted(set(line.login_members) - old):
        if await _signed_in(ami, endpoint):
            await _add(ami, line, endpoint, done)


async def _signed_in(ami, endpoint: str) -> bool:
    """Is the agent signed in on the console (a member of some queue, not paused as signed out)?"""
    rows = await ami.send_action_list("QueueStatus", Member=f"PJSIP/{endpoint}")
    return any(row.name == "QueueMember" and row.get("PausedReason") != LOGGED_OUT_REASON for row in rows)


async def _add(ami, line: Line, endpoint: str, done: list[str]) -> None:
    interface = f"PJSIP/{endpoint}"
    await _send(ami, "QueueAdd", ok_if="already there", Queue=line.asterisk_queue, Interface=interface,
                MemberName=endpoint, StateInterface=interface, Paused="false")
    done.append(f"QueueAdd {endpoint} to {line.asterisk_queue}")


async def _send(ami, action: str, ok_if: str | None = None, **fields) -> None:
    try:
        await ami.send_action(action, **fields)
    except AmiActionError as exc:
        if ok_if and ok_if in str(exc).lower():
            return
        raise ApplyError(f"Asterisk refused {action}: {exc}") from exc
    except AmiError as exc:
        raise ApplyError(f"Asterisk not reachable for {action}: {exc}") from exc
