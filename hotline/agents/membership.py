"""Queue membership of console agents, driven by AMI and shown as Asterisk reports it.

Console actions map to QueueAdd / QueueRemove / QueuePause. The state shown is never what we asked for
but what app_queue says: QueueMember* events, and a QueueStatus re-read after each action and after every
AMI (re)connect. Static members (queues.conf `member =>`) cannot be removed; "log out" pauses them instead.
"""
from __future__ import annotations

import logging
from typing import Callable

from hotline.agents.calls import endpoint_from, line_label, route_of_queue
from hotline.auth.users import Directory, User
from hotline.core.lines import LineCatalogue
from hotline.core.logging import log_event

log = logging.getLogger("hotline.agents.membership")
LOGGED_OUT_REASON = "签出"  # pause reason used for static members that cannot leave their queue
DEVICE_STATES = {"0": "未知", "1": "空闲", "2": "通话中", "3": "忙", "4": "无效", "5": "离线",
                 "6": "振铃", "7": "振铃(通话中)", "8": "保持"}
MEMBER_EVENTS = ("QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause", "QueueMemberStatus",
                 "QueueMemberPenalty", "QueueMemberRinginuse")


class MembershipError(Exception):
    """An action Asterisk refused, with a message fit for the agent's screen."""


def member_entry(lines: LineCatalogue, msg) -> dict:
    """A QueueMember* event or QueueStatus `QueueMember` row -> what the console shows for one queue."""
    status = msg.get("Status", "0")
    paused = msg.get("Paused", "0") in ("1", "true", "yes")
    reason = msg.get("PausedReason") or ""
    route = route_of_queue(lines, msg.get("Queue"))
    return {"queue": route, "asterisk_queue": msg.get("Queue"), "label": line_label(lines, route),
            "membership": msg.get("Membership") or "dynamic",
            "paused": paused, "reason": reason if paused else "",
            "logged_out": paused and reason == LOGGED_OUT_REASON,
            "status": int(status) if status.isdigit() else 0, "status_text": DEVICE_STATES.get(status, status),
            "in_call": msg.get("InCall") == "1", "calls_taken": int(msg.get("CallsTaken") or 0)}


class Membership:
    def __init__(self, ami, directory: Callable[[], Directory], on_change: Callable[[str, dict], None],
                 lines: LineCatalogue):
        self.ami = ami
        self.lines = lines
        self.directory = directory
        self.on_change = on_change  # (endpoint, state) -> None, e.g. push to that agent's browsers
        self.members: dict[str, dict[str, dict]] = {}  # endpoint -> queue -> entry

    def state(self, user: User) -> dict:
        queues = self.members.get(user.endpoint, {})
        active = [q for q in queues.values() if not q["logged_out"]]
        return {"endpoint": user.endpoint, "interface": user.interface,
                "configured_queues": self.lines.queues_for(user.endpoint),
                "queues": sorted(queues.values(), key=lambda q: q["queue"]),
                "logged_in": bool(active), "paused": bool(active) and all(q["paused"] for q in active),
                "ami_connected": bool(getattr(self.ami, "connected", False))}

    # --- what Asterisk says -------------------------------------------------------------
    def on_member_event(self, msg) -> None:
        endpoint = endpoint_from(msg.get("Interface") or msg.get("Location"))
        user = self.directory().by_endpoint(endpoint) if endpoint else None
        if user is None or not msg.get("Queue"):
            return
        queues = self.members.setdefault(endpoint, {})
        if msg.name == "QueueMemberRemoved":
            queues.pop(route_of_queue(self.lines, msg.get("Queue")), None)
        else:
            entry = member_entry(self.lines, msg)
            queues[entry["queue"]] = entry
        self.on_change(endpoint, self.state(user))

    async def resync(self) -> None:
        """Rebuild every agent's membership from QueueStatus (after connect / reconnect)."""
        rows = await self.ami.send_action_list("QueueStatus")
        fresh: dict[str, dict[str, dict]] = {}
        for row in rows:
            endpoint = endpoint_from(row.get("Location") or row.get("Interface"))
            if row.name == "QueueMember" and endpoint and self.directory().by_endpoint(endpoint):
                route = route_of_queue(self.lines, row.get("Queue"))
                fresh.setdefault(endpoint, {})[route] = member_entry(self.lines, row)
        self.members = fresh
        for user in self.directory().agents():
            self.on_change(user.endpoint, self.state(user))
        log_event(log, "queue membership re-read", members=sum(len(q) for q in fresh.values()))

    async def refresh(self, user: User) -> dict:
        rows = await self.ami.send_action_list("QueueStatus", Member=user.interface)
        queues = {route_of_queue(self.lines, row.get("Queue")): member_entry(self.lines, row) for row in rows
                  if row.name == "QueueMember" and endpoint_from(row.get("Location")) == user.endpoint}
        self.members[user.endpoint] = queues
        state = self.state(user)
        self.on_change(user.endpoint, state)
        return state

    # --- console actions ----------------------------------------------------------------
    async def login(self, user: User) -> dict:
        await self.refresh(user)
        configured = self.lines.queues_for(user.endpoint)
        for queue in configured:
            entry = self.members.get(user.endpoint, {}).get(queue)
            if entry and entry["membership"] == "static":
                if entry["logged_out"]:
                    await self._send("QueuePause", Queue=self._asterisk_queue(queue), Interface=user.interface,
                                     Paused="false")
                continue
            await self._send("QueueAdd", ok_if="already there", Queue=self._asterisk_queue(queue),
                             Interface=user.interface,
                             MemberName=user.endpoint, StateInterface=user.interface, Paused="false")
        log_event(log, "agent logged in to queues", agent=user.endpoint, queues=configured)
        return await self.refresh(user)

    async def logout(self, user: User) -> dict:
        await self.refresh(user)
        for queue, entry in list(self.members.get(user.endpoint, {}).items()):
            if entry["membership"] == "static":
                await self._send("QueuePause", Queue=self._asterisk_queue(queue), Interface=user.interface,
                                 Paused="true", Reason=LOGGED_OUT_REASON)
            else:
                await self._send("QueueRemove", ok_if="not there", Queue=self._asterisk_queue(queue),
                                 Interface=user.interface)
        log_event(log, "agent logged out of queues", agent=user.endpoint)
        return await self.refresh(user)

    async def pause(self, user: User, paused: bool, reason: str = "") -> dict:
        queues = [q for q, e in self.members.get(user.endpoint, {}).items() if not e["logged_out"]]
        if not queues:
            raise MembershipError("未签入任何队列 (not logged in to any queue)")
        for queue in queues:
            fields = {"Reason": reason} if paused and reason else {}
            await self._send("QueuePause", Queue=self._asterisk_queue(queue), Interface=user.interface,
                             Paused="true" if paused else "false", **fields)
        log_event(log, "agent pause", agent=user.endpoint, paused=paused, reason=reason)
        return await self.refresh(user)

    def _asterisk_queue(self, queue: str) -> str:
        return self.lines.get(queue).asterisk_queue if queue in self.lines else queue

    async def _send(self, action: str, ok_if: str | None = None, **fields) -> None:
        from telephony.ami.errors import AmiActionError, AmiError
        try:
            await self.ami.send_action(action, **fields)
        except AmiActionError as exc:
            if ok_if and ok_if in str(exc).lower():
                return
            raise MembershipError(f"Asterisk 拒绝 {action}: {exc}") from exc
        except AmiError as exc:
            raise MembershipError(f"与 Asterisk 的连接异常: {exc}") from exc
