"""Articles in Redis (the kb package owns these keys): one JSON string per article, an id index and a
version every change replaces, so each process rebuilds its search index only after a change. The version
is a random token, not a counter: a counter restarts after Redis loses its data and could match an index
built before."""
from __future__ import annotations

import uuid

from hotline.core import keys
from hotline.kb.model import Article


async def all_articles(redis) -> list[Article]:
    ids = await redis.zrange(keys.KB_ARTICLES(), 0, -1)
    if not ids:
        return []
    raw = await redis.mget([keys.KB_ARTICLE(article_id=i) for i in ids])
    return [Article.model_validate_json(r) for r in raw if r]


async def get(redis, article_id: str) -> Article | None:
    raw = await redis.get(keys.KB_ARTICLE(article_id=article_id))
    return Article.model_validate_json(raw) if raw else None


async def new_id(redis) -> str:
    return f"kb-{await redis.incr(keys.KB_SEQ())}"


async def put(redis, article: Article) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.KB_ARTICLE(article_id=article.id), article.model_dump_json())
        pipe.zadd(keys.KB_ARTICLES(), {article.id: int(article.id.removeprefix("kb-"))})
        pipe.set(keys.KB_VERSION(), uuid.uuid4().hex)
        await pipe.execute()


async def delete(redis, article_id: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.KB_ARTICLE(article_id=article_id))
        pipe.zrem(keys.KB_ARTICLES(), article_id)
        pipe.set(keys.KB_VERSION(), uuid.uuid4().hex)
        await pipe.execute()


async def version(redis) -> str:
    return await redis.get(keys.KB_VERSION()) or ""


def to_json(article: Article) -> dict:
    return article.model_dump(mode="json")
