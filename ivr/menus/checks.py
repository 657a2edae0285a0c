"""Every problem of a menu document, each with its path, in plain Chinese: what the browser editor shows as
the admin types (POST /api/menus/validate) and what publishing refuses.

Field rules come from the schema (ivr/menus/schema.py, the one the CLI and `hotline config check` use); the
references (lines, prompts, sub-menus, loops, unreachable menus) are checked here on the raw document, so
one mistake never hides the others. Warnings do not stop a publish.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ivr.menus.schema import DTMF_KEYS, MenuTree, find_cycle

MAX_DEPTH = 12   # a menu document nests 6 levels; deeper junk is the schema's to refuse


@dataclass(frozen=True)
class Issue:
    path: tuple[str, ...]
    message: str
    level: str = "error"   # or "warning"

    def as_dict(self) -> dict:
        return {"path": ".".join(self.path), "loc": list(self.path), "message": self.message, "level": self.level}


class _Object(dict):
    """A JSON object that remembers the keys it was given twice (json keeps only the last)."""
    duplicates: list[str] = []


def loads_json(raw: bytes | str) -> Any:
    def hook(pairs):
        found = _Object(pairs)
        found.duplicates = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        return found
    return json.loads(raw, object_pairs_hook=hook)


def _duplicates(node: Any, path: tuple[str, ...] = ()) -> list[Issue]:
    out: list[Issue] = []
    if isinstance(node, dict) and len(path) <= MAX_DEPTH:
        what = "按键" if path[-1:] == ("keys",) else "字段"
        out += [Issue(path + (k,), f"{what} {k} 重复出现，只能写一次") for k in getattr(node, "duplicates", [])]
        for key, value in node.items():
            out += _duplicates(value, path + (str(key),))
    return out


_MESSAGES = {
    "missing": "必须填写", "extra_forbidden": "不认识的字段", "string_type": "必须是文字",
    "string_pattern_mismatch": "格式不对：只能用小写字母、数字、- 和 _（字母开头）",
    "greater_than": "必须大于 {gt}", "greater_than_equal": "不能小于 {ge}", "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}", "float_parsing": "必须是数字", "float_type": "必须是数字",
    "int_parsing": "必须是整数", "int_type": "必须是整数", "int_from_float": "必须是整数",
    "bool_parsing": "必须是 是/否", "bool_type": "必须是 是/否", "dict_type": "格式不对", "model_type": "格式不对",
    "union_tag_invalid": "不认识的动作类型 {tag}（可用：{expected_tags}）",
    "union_tag_not_found": "缺少动作类型 action",
}


def _text(err: Any) -> str:
    template = _MESSAGES.get(err["type"])
    if template is None:
        return err["msg"].removeprefix("Value error, ")
    ctx = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in (err.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return err["msg"]


def _data_path(data: Any, loc: tuple) -> tuple[str, ...]:
    """Pydantic's loc without the action tag it inserts for the union (keys.1.queue.queue → keys.1.queue)."""
    path: list[str] = []
    node, tag_skipped = data, False
    for part in loc:
        at_action = bool(path) and (path[-1] in ("on_timeout", "on_invalid") or path[-2:-1] == ["keys"])
        if at_action and not tag_skipped and isinstance(node, dict) and node.get("action") == part:
            tag_skipped = True
            continue
        path.append(str(part))
        node, tag_skipped = (node.get(part) if isinstance(node, dict) else None), False
    return tuple(path)


def _schema_issues(data: dict) -> list[Issue]:
    try:
        MenuTree.model_validate(data)
    except ValidationError as exc:
        return [Issue(_data_path(data, tuple(e["loc"])), _text(e), "schema" if e["type"] == "value_error" else "error")
                for e in exc.errors()]
    return []


def _actions(menu: dict):
    keys = menu.get("keys")
    for key, action in (keys.items() if isinstance(keys, dict) else ()):
        yield ("keys", str(key)), action
    for where in ("on_timeout", "on_invalid"):
        yield (where,), menu.get(where)


class _Refs:
    def __init__(self, menus: dict, lines: dict[str, str], prompts: set[str] | None) -> None:
        self.menus, self.lines, self.prompts = menus, lines, prompts
        self.issues: list[Issue] = []

    def prompt(self, path: tuple[str, ...], name: Any) -> None:
        if self.prompts is not None and isinstance(name, str) and name not in self.prompts:
            self.issues.append(Issue(path, f"提示音 {name} 不存在（请先在“提示音”页添加）"))

    def action(self, path: tuple[str, ...], action: Any) -> None:
        if not isinstance(action, dict):
            return
        kind = action.get("action")
        if kind == "queue" and isinstance(action.get("queue"), str) and action["queue"] not in self.lines:
            known = "、".join(f"{n}（{label}）" for n, label in self.lines.items())
            self.issues.append(Issue(path + ("queue",), f"线路 {action['queue']} 不存在；现有线路：{known}"))
        elif kind == "menu" and isinstance(action.get("menu"), str) and action["menu"] not in self.menus:
            self.issues.append(Issue(path + ("menu",), f"子菜单 {action['menu']} 不存在"))
        elif kind == "play":
            self.prompt(path + ("prompt",), action.get("prompt"))


def _graph_issues(data: dict, menus: dict) -> list[Issue]:
    silent: dict[str, list[str]] = {}
    pressed: dict[str, list[str]] = {}
    for name, menu in menus.items():
        for where, action in _actions(menu if isinstance(menu, dict) else {}):
            if isinstance(action, dict) and action.get("action") == "menu" and action.get("menu") in menus:
                (pressed if where[0] == "keys" else silent).setdefault(name, []).append(action["menu"])
    out: list[Issue] = []
    loop = find_cycle(silent)
    if loop:
        out.append(Issue(("menus", loop[0]), f"来电者不按键（或一直按错）会在 {' → '.join(loop)} 之间循环："
                                              "超时和按错最终应转到线路"))
    every = {n: silent.get(n, []) + pressed.get(n, []) for n in menus}
    loop = None if out else find_cycle(every)
    if loop:
        out.append(Issue(("menus", loop[0]), f"菜单之间构成循环 {' → '.join(loop)}（如果是“返回上级菜单”可以忽略）",
                         "warning"))
    start = data.get("start", "main")
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen and name in menus:
            seen.add(name)
            todo += every.get(name, [])
    out += [Issue(("menus", n), f"菜单 {n} 用不到：没有按键或超时转到它", "warning")
            for n in menus if n not in seen and start in menus]
    return out


def check_document(data: Any, *, lines: dict[str, str], prompts: set[str] | None) -> list[Issue]:
    """Every problem of a menu document (a dict as config/menus.yaml), errors first.
    `lines`: line name → label (the line catalogue); `prompts`: the names that exist (None: not checked)."""
    if not isinstance(data, dict):
        return [Issue((), "菜单必须是一个对象（含 start 和 menus）")]
    menus: dict = data["menus"] if isinstance(data.get("menus"), dict) else {}
    refs = _Refs(menus, lines, prompts)
    if not menus:
        refs.issues.append(Issue(("menus",), "至少需要一个菜单"))
    start = data.get("start", "main")
    if menus and start not in menus:
        refs.issues.append(Issue(("start",), f"开始菜单 {start} 不存在"))
    refs.prompt(("record_prompt",), data.get("record_prompt", "record-description"))
    for name, menu in menus.items():
        if not isinstance(menu, dict):
            continue
        base = ("menus", str(name))
        refs.prompt(base + ("prompt",), menu.get("prompt"))
        refs.prompt(base + ("invalid_prompt",), menu.get("invalid_prompt", "input-error"))
        keys = menu.get("keys")
        for key in keys if isinstance(keys, dict) else ():
            if key not in DTMF_KEYS:
                refs.issues.append(Issue(base + ("keys", str(key)), "按键只能是一个字符：0-9、* 或 #"))
        for where, action in _actions(menu):
            refs.action(base + where, action)
    issues = _duplicates(data) + refs.issues + _graph_issues(data, menus)
    for issue in _schema_issues(data):
        covered = any(i.path[:len(issue.path)] == issue.path for i in issues)
        if issue.level != "schema" or not covered:   # the schema's own cross-checks, unless said precisely above
            issues.append(Issue(issue.path, issue.message))
    return sorted(issues, key=lambda i: i.level != "error")
