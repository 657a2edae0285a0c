"""A menu in plain Chinese: what a caller hears (the editor's preview) and what changed between two versions
(the editor's diff). Works on menu documents (dicts), so actions added later show generically from their fields.
`labels`: line name → label (the line catalogue); `texts`: prompt name → its words (config/prompts.yaml)."""
from __future__ import annotations

from typing import Any

KEY_WORDS = {"*": "星号键", "#": "井号键"}
KEY_ORDER = "1234567890*#"   # as on a phone's keypad


def _said(name: Any, texts: dict[str, str]) -> str:
    return f"“{texts[name]}”" if name in texts else f"（录音 {name}）"


def describe_action(action: Any, labels: dict[str, str], texts: dict[str, str]) -> str:
    if not isinstance(action, dict):
        return "（未设置）"
    kind = action.get("action")
    if kind == "queue":
        queue = str(action.get("queue"))
        line = labels.get(queue, queue)
        return f"转人工：{line}" + ("（先请来电者描述诉求）" if action.get("record") else "")
    if kind == "menu":
        return f"进入子菜单 {action.get('menu')}"
    if kind == "play":
        return f"播放{_said(action.get('prompt'), texts)}，然后回到本菜单"
    if kind == "repeat":
        return "重听本菜单"
    fields = "，".join(f"{k}：{v}" for k, v in action.items() if k != "action")
    return f"{kind}" + (f"（{fields}）" if fields else "")


def _order(doc: dict) -> list[str]:
    """The start menu, then sub-menus in the order callers reach them, then any left over."""
    menus = doc.get("menus") or {}
    order: list[str] = []
    todo = [doc.get("start", "main")]
    while todo:
        name = todo.pop(0)
        if name in menus and name not in order:
            order.append(name)
            menu = menus[name]
            actions = list((menu.get("keys") or {}).values()) + [menu.get("on_timeout"), menu.get("on_invalid")]
            todo += [a["menu"] for a in actions if isinstance(a, dict) and a.get("action") == "menu"]
    return order + [n for n in menus if n not in order]


def preview(doc: dict, labels: dict[str, str], texts: dict[str, str]) -> list[dict]:
    """Per menu: what the caller hears and what each key does, as short Chinese lines."""
    out = []
    for name in _order(doc):
        menu = doc["menus"][name]
        lines = [f"来电者听到：{_said(menu.get('prompt'), texts)}"]
        for key, action in sorted((menu.get("keys") or {}).items(), key=lambda kv: KEY_ORDER.find(kv[0]) % 99):
            lines.append(f"按{KEY_WORDS.get(key, key)} → {describe_action(action, labels, texts)}")
        waited = menu.get("timeout_seconds", 5)
        lines.append(f"{waited:g} 秒不按键 → {describe_action(menu.get('on_timeout'), labels, texts)}")
        lines.append(f"按错时播放{_said(menu.get('invalid_prompt', 'input-error'), texts)}，"
                     f"按错 {menu.get('max_invalid', 2)} 次 → {describe_action(menu.get('on_invalid'), labels, texts)}")
        out.append({"menu": name, "start": name == doc.get("start", "main"), "lines": lines})
    return out


def changes(old: dict | None, new: dict, labels: dict[str, str], texts: dict[str, str]) -> list[str]:
    """What differs from `old` (the active version) to `new`, one plain sentence per change."""
    if old is None:
        return ["首次发布"]
    out: list[str] = []
    top = {"start": "开始菜单", "record_prompt": "描述诉求提示音", "record_max_seconds": "描述最长秒数",
           "record_silence_seconds": "静音结束秒数"}
    for field, label in top.items():
        if old.get(field) != new.get(field):
            out.append(f"{label}：{old.get(field)} → {new.get(field)}")
    old_menus, new_menus = old.get("menus") or {}, new.get("menus") or {}
    out += [f"新增子菜单 {n}" for n in new_menus if n not in old_menus]
    out += [f"删除子菜单 {n}" for n in old_menus if n not in new_menus]
    for name in (n for n in new_menus if n in old_menus):
        out += _menu_changes(name, old_menus[name], new_menus[name], labels, texts)
    return out


def _menu_changes(name: str, old: dict, new: dict, labels: dict[str, str], texts: dict[str, str]) -> list[str]:
    out = []
    say = lambda a: describe_action(a, labels, texts)  # noqa: E731
    for field, label in (("prompt", "提示音"), ("timeout_seconds", "等待按键秒数"), ("max_invalid", "允许按错次数"),
                         ("invalid_prompt", "按错提示音")):
        if old.get(field) != new.get(field):
            out.append(f"菜单 {name} {label}：{old.get(field)} → {new.get(field)}")
    old_keys, new_keys = old.get("keys") or {}, new.get("keys") or {}
    for key in sorted(set(old_keys) | set(new_keys)):
        word = KEY_WORDS.get(key, key)
        if key not in old_keys:
            out.append(f"菜单 {name} 新增按{word}：{say(new_keys[key])}")
        elif key not in new_keys:
            out.append(f"菜单 {name} 删除按{word}（原为：{say(old_keys[key])}）")
        elif old_keys[key] != new_keys[key]:
            out.append(f"菜单 {name} 按{word}：{say(old_keys[key])} → {say(new_keys[key])}")
    for field, label in (("on_timeout", "不按键时"), ("on_invalid", "按错太多时")):
        if old.get(field) != new.get(field):
            out.append(f"菜单 {name} {label}：{say(old.get(field))} → {say(new.get(field))}")
    return out
