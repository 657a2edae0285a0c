"""A knowledge-base article: what admins write (Markdown body), which calls it fits, and when it is valid.

Policies change: `valid_from` / `valid_until` (dates, the hotline's time zone) bound when an article may be
shown or found; an expired article stays stored for the record but never appears in hints or search.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TITLE_MAX, BODY_MAX, TAG_MAX, TAGS_MAX = 120, 20_000, 40, 20
ARTICLE_ID = r"^kb-[0-9]{1,9}$"


def _tags(n: int = TAGS_MAX):
    return Annotated[list[Annotated[str, Field(min_length=1, max_length=TAG_MAX)]], Field(max_length=n)]


class ArticleIn(BaseModel):
    """What an admin submits (API, admin page, `hotline kb import`)."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Annotated[str, Field(min_length=2, max_length=TITLE_MAX)]
    body: Annotated[str, Field(min_length=1, max_length=BODY_MAX)]   # Markdown; rendered without raw HTML
    categories: _tags() = []   # taxonomy categories (config/taxonomy.yaml); empty = any
    keywords: _tags() = []     # words callers use that the body may not contain (别称, 俗称)
    lines: _tags() = []        # lines of the catalogue; empty = every line
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @field_validator("categories", "keywords", "lines")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in values if v.strip()))

    @model_validator(mode="after")
    def _period(self) -> ArticleIn:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from (有效期结束早于开始)")
        return self

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)


class Article(ArticleIn):
    id: Annotated[str, Field(pattern=ARTICLE_ID)]
    updated_at: float
    updated_by: Annotated[str, Field(max_length=64)]
