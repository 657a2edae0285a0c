"""The knowledge-base seed file (config/kb.yaml): articles imported into an empty knowledge base at start
(or on demand with `hotline kb import`). An article whose title already exists is left as it is: the
knowledge base, not the file, is the source of truth once admins edit it."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotline.admin import audit
from hotline.kb import store
from hotline.kb.model import ArticleIn


class KbSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[ArticleIn] = Field(max_length=10_000)


class SeedError(ValueError):
    pass


def load_seed(path: Path) -> list[ArticleIn]:
    try:
        return KbSeed.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {}).articles
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: cannot read ({exc})") from None
    except ValidationError as exc:
        raise SeedError(f"{path}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                for e in exc.errors())) from None


async def import_articles(kb, articles: list[ArticleIn], actor: audit.Actor) -> tuple[int, int]:
    """(added, skipped). Each added article is audited like an admin's create."""
    titles = {a.title for a in await store.all_articles(kb.redis)}
    added = 0
    for article in articles:
        if article.title in titles:
            continue
        await kb.create(article, actor)
        titles.add(article.title)
        added += 1
    return added, len(articles) - added
