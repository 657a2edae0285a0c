"""Versioned menus in Redis: publish, activate, roll back. New calls read the active version."""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import yaml
from pydantic import ValidationError

from asr.limits import MAX_DESCRIPTION_SECONDS
from hotline.core import keys
from hotline.core.config import CONFIG_DIR
from hotline.core.redis_wire import call
from ivr.menus.schema import MenuTree

DEFAULT_MENU = CONFIG_DIR / "menus.yaml"
MAX_MENU_BYTES = 64 * 1024  # config/menus.yaml is ~1 KB; anything near this is a mistake or an attack
MAX_MENU_DEPTH = 12  # a menu tree document nests 6 levels

SEQ = keys.MENU_SEQ.pattern
ACTIVE = keys.MENU_ACTIVE.pattern
HISTORY = keys.MENU_HISTORY.pattern


def version_key(version: int) -> str:
    return keys.MENU_VERSION(version=version)


class MenuError(ValueError):
    """An admin's menu document is invalid or refers to something that does not exist."""


class _MenuLoader(yaml.SafeLoader):
    """safe_load without aliases (a few lines of `*a` expand to billions of nodes) and with a depth limit."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise MenuError(f"menu uses a YAML alias ({self.peek_event().start_mark}); write the values out")
        self._menu_depth = getattr(self, "_menu_depth", 0) + 1
        try:
            if self._menu_depth > MAX_MENU_DEPTH:
                raise MenuError(f"menu nests deeper than {MAX_MENU_DEPTH} levels ({self.peek_event().start_mark})")
            return super().compose_node(parent, index)
        finally:
            self._menu_depth -= 1

    def construct_mapping(self, node, deep=False):
        """A key written twice (two entries for key "1") is an error, not "the last one wins"."""
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue
            if key in seen:
                raise MenuError(f"key {key!r} is written twice ({key_node.start_mark})")
            seen.add(key)
        return super().construct_mapping(node, deep)


def _load_yaml(text: str):
    if len(text.encode("utf-8", "replace")) > MAX_MENU_BYTES:
        raise MenuError(f"menu is larger than {MAX_MENU_BYTES // 1024} KiB")
    try:
        return yaml.load(text, Loader=_MenuLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise MenuError(f"menu is not valid YAML: {exc}") from exc


def parse_menu(document: str | dict, *, known_queues: set[str] | None = None,
               known_prompts: set[str] | None = None, known_partners: set[str] | None = None) -> MenuTree:
    """YAML/JSON text or a dict → validated MenuTree, or MenuError with every problem listed."""
    data = _load_yaml(document) if isinstance(document, str) else document
    if not isinstance(data, dict):
        raise MenuError("menu must be a mapping with 'start' and 'menus'")
    try:
        tree = MenuTree.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise MenuError(f"menu is invalid: {problems}") from exc
    if known_queues is not None and (unknown := tree.queues() - known_queues):
        raise MenuError(f"menu routes to unknown queues {sorted(unknown)}; known: {sorted(known_queues)}")
    if known_partners is not None and (unknown := tree.partners() - known_partners):
        raise MenuError(f"menu transfers to unknown partners {sorted(unknown)}; known: {sorted(known_partners)} "
                        "(config/partners.yaml)")
    if known_prompts is not None and (missing := tree.prompts() - known_prompts):
        raise MenuError(f"menu uses prompts that do not exist {sorted(missing)}; add them first")
    return tree


def load_menu_file(path: Path, **known) -> MenuTree:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_MENU_BYTES + 1)
    except OSError as exc:
        raise MenuError(f"cannot read menu file {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1]
        raise MenuError(f"menu file {path} is not UTF-8 text (byte {exc.start}: {bad!r})") from exc
    return parse_menu(text, **known)


def active_token(record: dict) -> str:
    """What `hotline:menu:active` holds: "<version>:<published at>". After Redis lost its data version numbers
    start again; the publication time tells a new version 3 from the old one (older tokens are a bare number)."""
    return f"{record['version']}:{record['created_at']!r}"


def token_version(token: str | bytes) -> int:
    text = token.decode() if isinstance(token, bytes) else str(token)
    return int(text.split(":", 1)[0])


def parse_record(raw: str | bytes) -> MenuTree:
    menu = json.loads(raw)["menu"]
    # versions published before record_max_seconds had to fit the ASR: clamp rather than fail calls
    if isinstance(menu.get("record_max_seconds"), int):
        menu["record_max_seconds"] = min(menu["record_max_seconds"], MAX_DESCRIPTION_SECONDS)
    return MenuTree.model_validate(menu)


class MenuStore:
    def __init__(self, redis) -> None:
        self.redis = redis
        self._cache: dict[int, tuple[str | bytes, MenuTree]] = {}
        self._active: tuple[str, MenuTree] | None = None   # (active token, its menu)
        self._first_publish = asyncio.Lock()   # first calls after Redis lost its data: one of them publishes

    async def publish(self, tree: MenuTree, *, author: str, note: str = "") -> int:
        version = int(await self.redis.incr(SEQ))
        record = {"version": version, "created_at": time.time(), "author": author, "note": note,
                  "menu": tree.model_dump(mode="json")}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(version_key(version), json.dumps(record, ensure_ascii=False))
            pipe.set(ACTIVE, active_token(record))
            pipe.lpush(HISTORY, json.dumps({"t": time.time(), "action": "publish", "version": version,
                                            "author": author, "note": note}, ensure_ascii=False))
            await pipe.execute()
        return version

    async def rollback(self, version: int, *, author: str, note: str = "") -> int:
        raw = await self.redis.get(version_key(version))
        if raw is None:
            raise MenuError(f"menu version {version} does not exist")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(ACTIVE, active_token(json.loads(raw)))
            pipe.lpush(HISTORY, json.dumps({"t": time.time(), "action": "rollback", "version": version,
                                            "author": author, "note": note}, ensure_ascii=False))
            await pipe.execute()
        return version

    async def active_version(self) -> int | None:
        token = await self.redis.get(ACTIVE)
        return token_version(token) if token else None

    async def get(self, version: int) -> MenuTree:
        """Each stored version is parsed once per process. The record is still read each time: after Redis
        lost its data (or a test emptied it) version numbers start again, and a number may name another menu."""
        raw = await self.redis.get(version_key(version))
        if raw is None:
            raise MenuError(f"menu version {version} does not exist")
        cached = self._cache.get(version)
        if cached is None or cached[0] != raw:
            cached = self._cache[version] = (raw, parse_record(raw))
        return cached[1]

    async def active(self) -> tuple[int, MenuTree]:
        """One GET per call (the call flow asks on every call): the active token names the version and when
        it was published, so a menu already parsed under that token is not read again."""
        token = await call(self.redis, "GET", ACTIVE)
        if token is None:
            raise MenuError("no menu has been published yet")
        token = token.decode() if isinstance(token, bytes) else str(token)
        version = token_version(token)
        if self._active is not None and self._active[0] == token and ":" in token:
            return version, self._active[1]
        tree = await self.get(version)
        self._active = (token, tree)
        return version, tree

    async def active_or_publish(self, default: Path) -> tuple[int, MenuTree]:
        """The active menu; on a Redis that has none (first start, data lost) publish `default` first."""
        try:
            return await self.active()
        except MenuError:
            pass
        async with self._first_publish:
            try:
                return await self.active()   # a call that came at the same moment has just published it
            except MenuError:
                if await self.redis.exists(ACTIVE):
                    raise       # the active version's record is missing: say so, do not publish over it
            await self.publish(load_menu_file(default), author="config", note=f"initial menu from {default.name}")
            return await self.active()

    async def versions(self) -> list[dict]:
        last = int(await self.redis.get(SEQ) or 0)
        raws = await self.redis.mget([version_key(v) for v in range(last, 0, -1)]) if last else []
        return [{k: v for k, v in json.loads(r).items() if k != "menu"} for r in raws if r]

    async def history(self, limit: int = 50) -> list[dict]:
        return [json.loads(r) for r in await self.redis.lrange(HISTORY, 0, limit - 1)]
