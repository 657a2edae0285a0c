"""Walks a caller through the menu tree; returns where the call goes. Knows nothing of AGI."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from hotline.core.lines import FALLBACK_LINE
from ivr.menus.schema import MenuAction, MenuTree, PlayAction, QueueAction, RepeatAction, TransferAction

FALLBACK = QueueAction(action="queue", queue=FALLBACK_LINE, record=False)
MAX_STEPS = 20  # a caller repeating forever still reaches a person


class KeyPad(Protocol):
    async def prompt_for_key(self, prompt: str, seconds: float) -> str | None: ...
    async def play(self, prompt: str, escape_keys: str = "") -> str | None: ...


Note = Callable[..., Awaitable[None]]  # journal hook: note(event, **fields)


async def run_menu(tree: MenuTree, pad: KeyPad, sound: Callable[[str], str],
                   note: Note) -> QueueAction | TransferAction:
    menu_name, invalid = tree.start, 0
    for _ in range(MAX_STEPS):
        menu = tree.menus[menu_name]
        key = await pad.prompt_for_key(sound(menu.prompt), menu.timeout_seconds)
        if key is None:
            await note("timeout", menu=menu_name)
            action = menu.on_timeout
        elif key in menu.keys:
            await note("key", key=key, menu=menu_name)
            action = menu.keys[key]
        else:
            invalid += 1
            await note("invalid_key", key=key, menu=menu_name, attempt=invalid)
            if invalid < menu.max_invalid:
                await pad.play(sound(menu.invalid_prompt))
                continue
            action = menu.on_invalid
        if isinstance(action, (QueueAction, TransferAction)):   # transfer: the flow rings the partner
            return action
        if isinstance(action, MenuAction):
            menu_name, invalid = action.menu, 0
        elif isinstance(action, PlayAction):
            await pad.play(sound(action.prompt))
        elif isinstance(action, RepeatAction):
            await note("repeat", menu=menu_name)
    await note("too_many_steps", steps=MAX_STEPS)
    return FALLBACK
