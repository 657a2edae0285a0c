"""Knowledge-base service: admins' edits (validated against the taxonomy and line catalogue, audited),
search, and the top hints for a call's ticket. One index per process, rebuilt off the event loop when the
store's version moves."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path

from hotline.admin import audit
from hotline.core.logging import log_event
from hotline.kb import render, search, store
from hotline.kb.model import Article, ArticleIn
from hotline.kb.search import Hit, Index

log = logging.getLogger("hotline.kb")
HINTS = 3
SEED_ACTOR = audit.Actor("system", "admin", "seed:config/kb.yaml")


class ArticleInvalid(ValueError):
    """An article names a category or line that does not exist."""


class KnowledgeBase:
    def __init__(self, redis, *, today: Callable[[], dt.date], categories: set[str], lines: set[str],
                 seed_file: Path | None = None):
        self.redis = redis
        self.seed_file = seed_file
        self.today = today
        self.categories = categories
        self.lines = lines
        self._index = Index([], version="never built")
        self._rebuild = asyncio.Lock()

    async def start(self) -> None:
        """Load jieba's dictionary off the loop (~1 s) and seed an empty knowledge base from config/kb.yaml."""
        await asyncio.to_thread(search.tokenizer)
        if self.seed_file and self.seed_file.exists() and not await store.all_articles(self.redis):
            from hotline.kb.seed import import_articles, load_seed
            added, _ = await import_articles(self, load_seed(self.seed_file), SEED_ACTOR)
            log_event(log, "kb seeded", articles=added, file=str(self.seed_file))
        await self.index()

    async def stop(self) -> None:
        pass

    # --- search -----------------------------------------------------------------------------------
    async def index(self) -> Index:
        version = await store.version(self.redis)
        if version != self._index.version:
            async with self._rebuild:
                if version != self._index.version:
                    articles = await store.all_articles(self.redis)
                    started = time.perf_counter()
                    self._index = await asyncio.to_thread(Index, articles, version)
                    log_event(log, "kb index built", articles=len(articles), version=version,
                              ms=round((time.perf_counter() - started) * 1000, 1))
        return self._index

    async def search(self, text: str, *, category: str = "", line: str = "", k: int = 10) -> list[dict]:
        hits = (await self.index()).search(text, category=category, line=line, today=self.today(), k=k)
        return [hint(h) for h in hits]

    async def hints_for(self, ticket: dict | None, call: dict) -> list[dict]:
        """Top articles for what the caller said (汉字 transcript, else keyword hits), its category and line."""
        if not ticket:
            return []
        hanzi = ticket.get("hanzi") or {}
        text = hanzi.get("text") or " ".join(ticket.get("matched") or [])
        text = " ".join(filter(None, [text, ticket.get("summary") or "", *(ticket.get("location_hints") or [])]))
        line = ticket.get("line") or call.get("line") or ""
        return await self.search(text, category=ticket.get("category") or "", line=line, k=HINTS)

    # --- edits ------------------------------------------------------------------------------------
    def _check(self, data: ArticleIn) -> None:
        problems = [f"categories: unknown category {c!r} (未知分类)" for c in data.categories
                    if c not in self.categories]
        problems += [f"lines: unknown line {ln!r} (未知线路)" for ln in data.lines if ln not in self.lines]
        if problems:
            raise ArticleInvalid("; ".join(problems))

    async def create(self, data: ArticleIn, actor: audit.Actor) -> Article:
        self._check(data)
        article = Article(**data.model_dump(), id=await store.new_id(self.redis), updated_at=time.time(),
                          updated_by=actor.username)
        await store.put(self.redis, article)
        await audit.record(self.redis, actor, "kb.create", f"kb:{article.id}", None, store.to_json(article))
        return article

    async def update(self, article_id: str, data: ArticleIn, actor: audit.Actor) -> Article | None:
        self._check(data)
        before = await store.get(self.redis, article_id)
        if before is None:
            return None
        article = Article(**data.model_dump(), id=article_id, updated_at=time.time(), updated_by=actor.username)
        await store.put(self.redis, article)
        await audit.record(self.redis, actor, "kb.update", f"kb:{article_id}", _content(before), _content(article))
        return article

    async def delete(self, article_id: str, actor: audit.Actor) -> bool:
        before = await store.get(self.redis, article_id)
        if before is None:
            return False
        await store.delete(self.redis, article_id)
        await audit.record(self.redis, actor, "kb.delete", f"kb:{article_id}", _content(before), None)
        return True


def _content(article: Article) -> dict:
    return store.to_json(article) | {"updated_at": None}   # the diff shows what changed, not the clock


def hint(h: Hit) -> dict:
    a = h.article
    return {"id": a.id, "title": a.title, "snippet": render.snippet(a.body), "score": round(h.score, 3),
            "matched": list(h.matched), "categories": a.categories, "html": render.to_html(a.body)}
