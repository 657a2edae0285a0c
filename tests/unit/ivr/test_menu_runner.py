import pytest

from hotline.core.config import CONFIG_DIR
from ivr.menu_runner import run_menu
from ivr.menus.store import load_menu_file


class ScriptedPad:
    """Caller who presses the scripted keys in order (None = presses nothing)."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.played = []

    async def prompt_for_key(self, prompt, seconds):
        self.played.append(prompt)
        return self.keys.pop(0) if self.keys else None

    async def play(self, prompt, escape_keys=""):
        self.played.append(prompt)
        return None


async def walk(keys):
    tree = load_menu_file(CONFIG_DIR / "menus.yaml")
    notes = []

    async def note(event, **fields):
        notes.append((event, fields))

    pad = ScriptedPad(keys)
    action = await run_menu(tree, pad, lambda name: name, note)
    return action, notes, pad


@pytest.mark.parametrize("key,queue", [("1", "business"), ("9", "tourism"), ("0", "general"), (None, "general")])
async def test_default_menu_routes(key, queue):
    action, _, _ = await walk([key])
    assert action.queue == queue and action.record


async def test_invalid_key_twice_goes_to_general_after_retry_prompt():
    action, notes, pad = await walk(["5", "7"])
    assert action.queue == "general"
    assert [n[0] for n in notes] == ["invalid_key", "invalid_key"]
    assert pad.played == ["welcome", "input-error", "welcome"]


async def test_star_repeats_then_key_counts():
    action, notes, pad = await walk(["*", "9"])
    assert action.queue == "tourism"
    assert [n[0] for n in notes] == ["key", "repeat", "key"]
    assert pad.played == ["welcome", "welcome"]


async def test_endless_repeat_still_reaches_a_queue():
    action, notes, _ = await walk(["*"] * 50)
    assert action.queue == "general"
    assert notes[-1][0] == "too_many_steps"


@pytest.mark.parametrize("callerid,number", [("13812345678", "13812345678"), ("+8613812345678", "+8613812345678"),
                                             ("unknown", ""), ("anonymous", ""), ("", ""), (None, ""),
                                             ("138 1234", ""), ("12", "")])
def test_caller_number_keeps_only_real_numbers(callerid, number):
    from ivr.flow import caller_number
    assert caller_number(callerid) == number
