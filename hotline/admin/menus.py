"""Voice menu administration: review (errors with paths, caller's-eye preview, diff against the active version),
publish and roll back. One service for the /admin page, the API and `hotline menus`; every publish and
rollback is audited (hotline.admin.audit) and recorded with its author in the menu history.

A publish is a new version in Redis (ivr.menus.store); the call flow reads the active version at the start of
each call, so it applies to the next call without restart while calls in progress keep theirs.

The prompt catalogue is `known_prompts`: a menu naming a prompt outside it cannot be published
(`missing_prompts`). The prompts feature extends the catalogue there, nowhere else.
"""
from __future__ import annotations

from typing import Any

from hotline.admin import audit
from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue
from hotline.prompts.service import prompt_names
from ivr import prompts
from ivr.menus import describe
from ivr.menus.checks import check_document
from ivr.menus.schema import MenuTree
from ivr.menus.store import MenuError, MenuStore, parse_menu


class MenuRefused(MenuError):
    """A publish refused with the problems, each {loc, msg} (the shape FastAPI uses for 422 details)."""

    def __init__(self, issues: list[dict]) -> None:
        super().__init__("; ".join(f"{i['path'] or '(menu)'}: {i['message']}" for i in issues))
        self.details = [{"loc": i["loc"], "msg": i["message"]} for i in issues]


def prompt_texts(settings: Settings) -> dict[str, str]:
    try:
        return prompts.default_texts(settings.prompts_file)
    except prompts.PromptError:
        return {}


def known_prompts(settings: Settings) -> set[str]:
    """Every prompt a menu may name: the default texts (prompts.yaml) and every prompt file of the instance
    (admins' recordings included) — the prompts service's catalogue."""
    return prompt_names(settings)


def missing_prompts(tree: MenuTree, settings: Settings) -> list[str]:
    """Prompts the menu names that do not exist: publishing refuses such a menu."""
    return sorted(tree.prompts() - known_prompts(settings))


def _issues(document: Any, lines: LineCatalogue, settings: Settings) -> list[dict]:
    found = [i.as_dict() for i in check_document(document, lines=lines.labels(), prompts=known_prompts(settings))]
    if not any(i["level"] == "error" for i in found):
        try:   # the schema's last word (what publish runs), should the checks above have missed something
            parse_menu(document, known_queues=set(lines.names), known_partners=set(lines.partner_names))
        except MenuError as exc:
            found.insert(0, {"path": "", "loc": [], "message": str(exc), "level": "error"})
    return found


async def _active(store: MenuStore) -> tuple[int | None, dict | None]:
    try:
        version, tree = await store.active()
    except MenuError:
        return None, None
    return version, tree.model_dump(mode="json")


async def review(redis, document: Any, lines: LineCatalogue, settings: Settings) -> dict:
    """What the editor shows as the admin types: errors and warnings with paths; when valid, the preview
    of what a caller hears, the changes against the active version in words and as a diff."""
    issues = _issues(document, lines, settings)
    errors = [i for i in issues if i["level"] == "error"]
    result: dict[str, Any] = {"valid": not errors, "errors": errors,
                              "warnings": [i for i in issues if i["level"] != "error"]}
    if errors:
        return result
    menu = parse_menu(document).model_dump(mode="json")
    version, active = await _active(MenuStore(redis))
    labels, texts = lines.labels(), prompt_texts(settings)
    return result | {"active_version": version, "preview": describe.preview(menu, labels, texts),
                     "changes": describe.changes(active, menu, labels, texts),
                     "diff": audit.readable_diff(active, menu)}


async def publish(redis, document: Any, actor: audit.Actor, lines: LineCatalogue, settings: Settings,
                  note: str = "") -> int:
    """Validate and publish a new version (active at once); MenuRefused lists what is wrong."""
    errors = [i for i in _issues(document, lines, settings) if i["level"] == "error"]
    if errors:
        raise MenuRefused(errors)
    tree = parse_menu(document, known_queues=set(lines.names), known_partners=set(lines.partner_names))
    if missing := missing_prompts(tree, settings):
        raise MenuError(f"menu uses prompts that do not exist {missing}; add them first")
    store = MenuStore(redis)
    _, before = await _active(store)
    version = await store.publish(tree, author=actor.username, note=note)
    await audit.record(redis, actor, "menu.publish", f"menu:{version}", before, tree.model_dump(mode="json"), note)
    return version


async def rollback(redis, version: int, actor: audit.Actor, note: str = "") -> int:
    """Make an earlier version active again (applies to the next call)."""
    store = MenuStore(redis)
    after = (await store.get(version)).model_dump(mode="json")   # MenuError when it does not exist
    active_version, before = await _active(store)
    note = note or f"版本 {active_version} → {version}"
    await store.rollback(version, author=actor.username, note=note)
    await audit.record(redis, actor, "menu.rollback", f"menu:{version}", before, after, note)
    return version


async def versions(redis) -> dict:
    store = MenuStore(redis)
    return {"active": await store.active_version(), "versions": await store.versions(),
            "history": await store.history()}
