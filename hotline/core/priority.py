"""The controller's share of a busy node's CPU (docs/decisions.md, "Capacity of one node", fourth round)."""
from __future__ import annotations

import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def raise_priority(nice: int, autogroup: Path = AUTOGROUP) -> dict[str, object]:
    """Asterisk serves each call from its own thread, the controller serves every call from one event loop.
    When the node runs short of CPU, the kernel's fair share per thread (and per session: autogroup) left the
    loop ~15 % of a core while 1 MB of AMI events waited unread in its socket, and callers missed the pickup
    watchdog. Call first thing, before any thread starts (threads inherit the nice value). Returns what was
    applied, or why not (a negative value needs root or CAP_SYS_NICE): the controller runs either way."""
    applied: dict[str, object] = {}
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
        applied["nice"] = os.getpriority(os.PRIO_PROCESS, 0)
    except OSError as exc:
        applied["nice_refused"] = exc.strerror or repr(exc)
    try:
        autogroup.write_text(f"{nice}\n")   # what the kernel weighs between sessions (sched_autogroup)
        applied["autogroup"] = nice
    except OSError as exc:   # no autogroup (containers, kernels without it) or not allowed
        applied["autogroup_refused"] = exc.strerror or repr(exc)
    return applied
