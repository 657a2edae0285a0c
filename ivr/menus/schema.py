"""Menu tree as data: what telephony admins edit, version and roll back (config/menus.yaml)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from asr.limits import MAX_DESCRIPTION_SECONDS

DTMF_KEYS = set("0123456789*#")
PROMPT_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # no paths, no spaces: safe inside an AGI command line
QUEUE_NAME = r"^[a-z][a-z0-9_-]{0,31}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueAction(_Strict):
    action: Literal["queue"]
    queue: str = Field(pattern=QUEUE_NAME)
    record: bool = False  # ask the caller for a short description before queueing


class MenuAction(_Strict):
    action: Literal["menu"]
    menu: str


class PlayAction(_Strict):
    """Play a prompt, then return to the same menu."""
    action: Literal["play"]
    prompt: str = Field(pattern=PROMPT_NAME)


class RepeatAction(_Strict):
    action: Literal["repeat"]


# -- partner transfer (水电气热 linkage, issue 13) -----------------------------------------------------------
class TransferAction(_Strict):
    """Straight to a partner line of config/partners.yaml; unanswered (or busy, closed, unreachable), the
    caller comes back to `queue`, recording a description first when `record` (every request gets a ticket)."""
    action: Literal["transfer"]
    partner: str = Field(pattern=QUEUE_NAME, title="合作单位",
                         description="a partner of config/partners.yaml (water, power, gas, heat)")
    queue: str = Field(default="general", pattern=QUEUE_NAME, title="未接通时转回",
                       description="the line the caller comes back to when the partner does not answer")
    record: bool = Field(default=True, title="转回后录音",
                         description="back on the hotline: ask for a description before queueing")
    prompt: str | None = Field(default=None, pattern=PROMPT_NAME, title="转接提示音",
                               description="played before the partner rings (正在为您转接…)")


Action = Annotated[QueueAction | MenuAction | PlayAction | RepeatAction | TransferAction,
                   Field(discriminator="action")]


class Menu(_Strict):
    prompt: str = Field(pattern=PROMPT_NAME)
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    max_invalid: int = Field(default=2, ge=1, le=5)
    invalid_prompt: str = Field(default="input-error", pattern=PROMPT_NAME)
    keys: dict[str, Action]
    on_timeout: Action
    on_invalid: Action

    @model_validator(mode="after")
    def _keys_are_dtmf(self) -> Menu:
        bad = [k for k in self.keys if k not in DTMF_KEYS]
        if bad:
            raise ValueError(f"keys must be single DTMF characters 0-9 * #, got {bad}")
        return self


class MenuTree(_Strict):
    start: str = "main"
    record_prompt: str = Field(default="record-description", pattern=PROMPT_NAME)
    record_max_seconds: int = Field(default=60, ge=5, le=MAX_DESCRIPTION_SECONDS)  # the ASR takes no more
    record_silence_seconds: int = Field(default=3, ge=1, le=10)
    menus: dict[str, Menu]

    @model_validator(mode="after")
    def _references_resolve(self) -> MenuTree:
        if self.start not in self.menus:
            raise ValueError(f"start menu {self.start!r} is not defined in menus")
        for name, menu in self.menus.items():
            for where, action in self.actions_of(menu):
                if isinstance(action, MenuAction) and action.menu not in self.menus:
                    raise ValueError(f"menu {name!r} {where} goes to undefined menu {action.menu!r}")
        loop = find_cycle(self.silent_edges())
        if loop:
            raise ValueError(f"a caller who presses nothing (or only wrong keys) loops through menus "
                             f"{' -> '.join(loop)}: let on_timeout/on_invalid end in a queue")
        return self

    def silent_edges(self) -> dict[str, list[str]]:
        """Sub-menu moves a caller makes without pressing a valid key (timeout, invalid keys)."""
        return {name: [a.menu for a in (m.on_timeout, m.on_invalid) if isinstance(a, MenuAction)]
                for name, m in self.menus.items()}

    @staticmethod
    def actions_of(menu: Menu):
        yield from ((f"key {k}", a) for k, a in menu.keys.items())
        yield "on_timeout", menu.on_timeout
        yield "on_invalid", menu.on_invalid

    def prompts(self) -> set[str]:
        names = {self.record_prompt}
        for menu in self.menus.values():
            names |= {menu.prompt, menu.invalid_prompt}
            names |= {a.prompt for _, a in self.actions_of(menu) if isinstance(a, PlayAction)}
            names |= {a.prompt for _, a in self.actions_of(menu) if isinstance(a, TransferAction) and a.prompt}
        return names

    def queues(self) -> set[str]:
        return {a.queue for m in self.menus.values() for _, a in self.actions_of(m)
                if isinstance(a, (QueueAction, TransferAction))}

    def partners(self) -> set[str]:
        return {a.partner for m in self.menus.values() for _, a in self.actions_of(m) if isinstance(a, TransferAction)}


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a menu graph as [a, b, ..., a], or None. Depth-first without recursion (a 64 KiB document
    can chain hundreds of menus)."""
    state: dict[str, str] = {}   # "open" while on the current path, then "done"
    for root in edges:
        if root in state:
            continue
        path, todo = [root], [iter(edges.get(root, []))]
        state[root] = "open"
        while todo:
            target = next(todo[-1], None)
            if target is None:
                state[path.pop()] = "done"
                todo.pop()
            elif state.get(target) == "open":
                return path[path.index(target):] + [target]
            elif target not in state:
                state[target] = "open"
                path.append(target)
                todo.append(iter(edges.get(target, [])))
    return None
