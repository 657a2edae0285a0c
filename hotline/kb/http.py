"""Knowledge-base API: admins write (audited), agents and supervisors read and search. Expired articles are
listed for admins only (marked), never for agents, never in search or hints."""
from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, AgentUser, RedisDep, RuntimeDep, feature
from hotline.auth.users import Role
from hotline.kb import render, store
from hotline.kb.model import ARTICLE_ID, BODY_MAX, ArticleIn
from hotline.kb.service import ArticleInvalid, KnowledgeBase

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])
KB = Annotated[KnowledgeBase, Depends(feature("kb"))]


def _view(article, today) -> dict[str, Any]:
    return store.to_json(article) | {"html": render.to_html(article.body), "valid_now": article.valid_on(today)}


@router.get("/articles", summary="Articles (admins also see expired ones, marked valid_now=false)")
async def list_articles(redis: RedisDep, kb: KB, user: AgentUser) -> dict:
    today = kb.today()
    articles = [_view(a, today) for a in await store.all_articles(redis)]
    if user.role is not Role.admin:
        articles = [a for a in articles if a["valid_now"]]
    return {"articles": articles}


@router.get("/articles/{article_id}")
async def get_article(article_id: str, redis: RedisDep, kb: KB, user: AgentUser) -> dict:
    article = await store.get(redis, article_id) if _valid_id(article_id) else None
    if article is None or (user.role is not Role.admin and not article.valid_on(kb.today())):
        raise HTTPException(404, f"no article {article_id}")
    return _view(article, kb.today())


@router.get("/options", summary="What an article may name: the taxonomy's categories and the catalogue's lines")
async def options(kb: KB, runtime: RuntimeDep, _: AgentUser) -> dict:
    return {"categories": sorted(kb.categories),
            "lines": [{"name": ln.name, "label": ln.label} for ln in runtime.lines.queues]}


@router.get("/search", summary="Chinese full-text search: the best valid articles for the text, category and line")
async def search(kb: KB, _: AgentUser, q: Annotated[str, Query(min_length=1, max_length=500)],
                 category: Annotated[str, Query(max_length=40)] = "",
                 line: Annotated[str, Query(max_length=40)] = "",
                 k: Annotated[int, Query(ge=1, le=20)] = 5) -> dict:
    return {"hits": await kb.search(q, category=category, line=line, k=k)}


@router.post("/articles", status_code=201)
async def create_article(body: ArticleIn, request: Request, kb: KB, user: AdminUser) -> dict:
    try:
        article = await kb.create(body, actor_of(user, request))
    except ArticleInvalid as exc:
        raise HTTPException(422, str(exc)) from None
    return _view(article, kb.today())


@router.put("/articles/{article_id}")
async def update_article(article_id: str, body: ArticleIn, request: Request, kb: KB, user: AdminUser) -> dict:
    try:
        article = await kb.update(article_id, body, actor_of(user, request)) if _valid_id(article_id) else None
    except ArticleInvalid as exc:
        raise HTTPException(422, str(exc)) from None
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    return _view(article, kb.today())


@router.delete("/articles/{article_id}", status_code=204)
async def delete_article(article_id: str, request: Request, kb: KB, user: AdminUser) -> None:
    if not _valid_id(article_id) or not await kb.delete(article_id, actor_of(user, request)):
        raise HTTPException(404, f"no article {article_id}")


class Preview(BaseModel):
    body: Annotated[str, Field(max_length=BODY_MAX)]


@router.post("/preview", summary="Markdown → the safe HTML agents will see")
async def preview(body: Preview, _: AdminUser) -> dict:
    return {"html": render.to_html(body.body)}


def _valid_id(article_id: str) -> bool:
    return re.fullmatch(ARTICLE_ID, article_id) is not None
