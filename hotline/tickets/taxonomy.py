"""The ticket taxonomy (config/taxonomy.yaml): categories, 诉求类型, urgency, location hints, line priors.

Validated at load so a typo in the YAML fails with the offending path instead of misfiling tickets.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from hotline.core.config import CONFIG_DIR, get_settings
from hotline.core.yamlfile import read_yaml

DEFAULT_PATH = CONFIG_DIR / "taxonomy.yaml"
_HANZI_PHRASE = re.compile(r"^[\u4e00-\u9fff]{1,12}$")


class TaxonomyError(ValueError):
    """The taxonomy file is missing, not YAML, or does not follow the schema."""


def _check_phrases(words) -> None:
    bad = [w for w in words if not _HANZI_PHRASE.match(str(w))]
    if bad:
        raise ValueError(f"keywords must be 1-12 汉字 (no spaces/latin): {bad}")


def _weighted_phrases(value: dict[str, float]) -> dict[str, float]:
    _check_phrases(value)
    if any(w <= 0 for w in value.values()):
        raise ValueError("keyword weights must be > 0")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    name: str = Field(min_length=1)
    keywords: dict[str, float] = Field(min_length=1)

    _check = field_validator("keywords")(_weighted_phrases)


class RequestType(_Strict):
    name: str
    cues: dict[str, float] = Field(min_length=1)

    _check = field_validator("cues")(_weighted_phrases)


class RequestTypes(_Strict):
    default: str
    types: list[RequestType] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_known(self) -> "RequestTypes":
        if self.default not in {t.name for t in self.types}:
            raise ValueError(f"request_types.default {self.default!r} is not one of the types")
        return self


class UrgencyLevel(_Strict):
    name: str = Field(pattern=r"^[a-z_]+$")
    label: str
    cues: list[str] = Field(min_length=1)
    # when set, the level applies only to these 诉求类型
    only_for_types: list[str] = []

    @field_validator("cues")
    @classmethod
    def _hanzi(cls, value: list[str]) -> list[str]:
        _check_phrases(value)
        return value


class Urgency(_Strict):
    default: str = "normal"
    levels: list[UrgencyLevel] = Field(min_length=1)


class Location(_Strict):
    suffixes: list[str] = Field(min_length=1)
    pinyin_suffixes: list[str] = []
    max_name_chars: int = Field(default=6, ge=1, le=20)
    min_name_chars: int = Field(default=1, ge=1)
    stop_chars: str = ""
    stop_words: list[str] = []
    reject: list[str] = []
    pinyin_stop_syllables: list[str] = []
    max_name_syllables: int = Field(default=4, ge=1, le=10)

    @model_validator(mode="after")
    def _pinyin_subset(self) -> "Location":
        unknown = set(self.pinyin_suffixes) - set(self.suffixes)
        if unknown:
            raise ValueError(f"location.pinyin_suffixes not in suffixes: {sorted(unknown)}")
        return self


class Taxonomy(_Strict):
    version: int = 1
    categories: list[Category] = Field(min_length=2)
    fallback_category: str
    min_category_score: float = Field(default=1.0, ge=0)
    request_types: RequestTypes
    urgency: Urgency
    location: Location
    # line name (config/queues.yaml; `hotline config check` verifies it) -> category -> score added on that line
    line_priors: dict[str, dict[str, float]] = {}

    @field_validator("line_priors")
    @classmethod
    def _known_lines(cls, value: dict, info: ValidationInfo) -> dict:
        lines = (info.context or {}).get("lines")   # the catalogue's names, when the caller has them
        unknown = sorted(set(value) - set(lines)) if lines is not None else []
        if unknown:
            raise ValueError(f"unknown line(s) {unknown}; the lines are {list(lines)} (config/queues.yaml)")
        return value

    @model_validator(mode="after")
    def _references(self) -> "Taxonomy":
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate category names: {sorted({n for n in names if names.count(n) > 1})}")
        if self.fallback_category not in names:
            raise ValueError(f"fallback_category {self.fallback_category!r} is not a category")
        for level in self.urgency.levels:
            unknown = set(level.only_for_types) - set(self.request_type_names)
            if unknown:
                raise ValueError(f"urgency level {level.name!r} only_for_types names unknown types: {sorted(unknown)}")
        for line_name, prior in self.line_priors.items():
            unknown = set(prior) - set(names)
            if unknown:
                raise ValueError(f"line_priors.{line_name} names unknown categories: {sorted(unknown)}")
        return self

    @property
    def category_names(self) -> list[str]:
        return [c.name for c in self.categories]

    @property
    def request_type_names(self) -> list[str]:
        return [t.name for t in self.request_types.types]

    def spotting_keywords(self) -> list[str]:
        """汉字 phrases for the ASR keyword spotter: category keywords and urgency cues of 2+ characters."""
        words = [w for c in self.categories if c.name != self.fallback_category for w in c.keywords]
        words += [w for level in self.urgency.levels for w in level.cues]
        return list(dict.fromkeys(w for w in words if len(w) >= 2))


def load_taxonomy(path: Path | str | None = None, lines: list[str] | None = None) -> Taxonomy:
    """`lines`: the catalogue's line names, to check `line_priors` against (hotline config check does)."""
    path = Path(path) if path else get_settings().taxonomy_file
    raw = read_yaml(path, TaxonomyError)
    if not isinstance(raw, dict):
        raise TaxonomyError(f"taxonomy {path} must be a mapping at the top level")
    try:
        return Taxonomy.model_validate(raw, context={"lines": lines})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors())
        raise TaxonomyError(f"taxonomy {path} is invalid: {problems}") from exc


@lru_cache
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()


def spotting_keywords() -> list[str]:
    """Keyword list for the ASR engine (`asr.engines.load_engine(settings, keywords=...)`)."""
    return default_taxonomy().spotting_keywords()
