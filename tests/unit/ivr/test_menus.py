import pytest

from ivr.menus.store import MenuError, parse_menu

GOOD = """
start: main
menus:
  main:
    prompt: welcome
    keys: {"1": {action: queue, queue: business}, "2": {action: menu, menu: sub}}
    on_timeout: {action: queue, queue: general}
    on_invalid: {action: queue, queue: general}
  sub:
    prompt: welcome
    keys: {"#": {action: menu, menu: main}}
    on_timeout: {action: play, prompt: goodbye}
    on_invalid: {action: queue, queue: general}
"""


def test_valid_menu_with_submenu():
    tree = parse_menu(GOOD)
    assert tree.queues() == {"business", "general"}
    assert "goodbye" in tree.prompts()


@pytest.mark.parametrize("bad,expect", [
    ("- not a mapping", "mapping"),
    ("start: main\nmenus: {}", "start menu"),
    (GOOD.replace("menu: sub}", "menu: nowhere}"), "undefined menu"),
    (GOOD.replace('"1"', '"12"'), "single DTMF"),
    (GOOD.replace("prompt: goodbye", "prompt: ../../etc/passwd"), "prompt"),
    (GOOD.replace("queue: business", "queue: Business Line"), "queue"),
    ("start: [", "YAML"),
])
def test_bad_menus_are_rejected_with_a_clear_reason(bad, expect):
    with pytest.raises(MenuError, match=expect):
        parse_menu(bad)


def test_unknown_queue_and_missing_prompt():
    with pytest.raises(MenuError, match="unknown queues"):
        parse_menu(GOOD, known_queues={"general"})
    with pytest.raises(MenuError, match="prompts that do not exist"):
        parse_menu(GOOD, known_prompts={"welcome"})
