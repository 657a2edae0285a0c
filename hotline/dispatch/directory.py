"""The directory of handling units (承办单位) and the routing rules (config/units.yaml).

Data, not code: units (city departments, district/street offices, utilities, the 二级处办平台 property
companies), a small gazetteer of places (district ⊃ street ⊃ 小区, with aliases) and rules
(category × place → unit, priority) plus a default unit. Validated at load (pydantic, extra=forbid);
`hotline config check` also checks the rules' categories against config/taxonomy.yaml. Other features
(hotspot reports) import the directory from here: `load_units()` is cached by the file's mtime, so an
admin's change (PUT /api/dispatch/units writes the file) is seen by every process at its next read.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from hotline.core.config import get_settings
from hotline.core.webhooks import WebhookConfig
from hotline.core.yamlfile import read_yaml

UnitKind = Literal["department", "district", "street", "utility", "property"]
PlaceKind = Literal["district", "street", "estate"]
# how specific a place is: a rule naming a 小区 beats one naming its street, which beats its district
SPECIFICITY: dict[str, int] = {"estate": 3, "street": 2, "district": 1}
_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"
_NAME = re.compile(r"^[\u4e00-\u9fff0-9A-Za-z（）()·\-]{1,30}$")


class UnitsError(ValueError):
    """units.yaml is missing, not YAML, or does not follow the schema; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unit(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=40)
    kind: UnitKind
    phone: str = Field(default="", max_length=30)
    # the unit's code in the external work-order system (sent in the webhook); defaults to the id
    external_code: str = Field(default="", max_length=40)


class Place(_Strict):
    name: str
    kind: PlaceKind
    within: str | None = None          # the enclosing place (a street's district, a 小区's street)
    aliases: list[str] = Field(default=[], max_length=20)   # other spellings callers use (滨海 for 滨海新区)

    @field_validator("name", "aliases")
    @classmethod
    def _names(cls, value):
        for name in [value] if isinstance(value, str) else value:
            if not _NAME.match(name):
                raise ValueError(f"place names are 1-30 汉字/digits/letters: {name!r}")
        return value


class Rule(_Strict):
    id: str = Field(pattern=_ID)
    unit: str
    categories: list[str] = Field(default=[], max_length=50)   # empty: any category
    places: list[str] = Field(default=[], max_length=200)      # names in `places`; empty: anywhere
    keywords: list[str] = Field(default=[], max_length=100)    # words of the caller's (any one); empty: no condition
    priority: int = Field(default=0, ge=-1000, le=1000)
    note: str = Field(default="", max_length=200)

    @field_validator("keywords")
    @classmethod
    def _hanzi(cls, value: list[str]) -> list[str]:
        bad = [w for w in value if not re.fullmatch(r"[\u4e00-\u9fff]{1,12}", w)]
        if bad:
            raise ValueError(f"keywords are 1-12 汉字: {bad}")
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("categories")   # the taxonomy's, when the caller has them
        unknown = [c for c in value if known is not None and c not in known]
        if unknown:
            raise ValueError(f"unknown categories {unknown}; the taxonomy's are {list(known)}")
        return value


class UnitsConfig(_Strict):
    version: int = 1
    # bounded, so one PUT cannot make every classification slow
    units: list[Unit] = Field(min_length=1, max_length=1000)
    places: list[Place] = Field(default=[], max_length=5000)
    rules: list[Rule] = Field(default=[], max_length=2000)
    default_unit: str
    # the external work-order system: every dispatch is POSTed here (hotline/dispatch/webhook.py)
    webhooks: WebhookConfig = WebhookConfig()

    @model_validator(mode="after")
    def _references(self) -> "UnitsConfig":
        for what, names in (("unit ids", [u.id for u in self.units]), ("rule ids", [r.id for r in self.rules]),
                            ("place names", [n for p in self.places for n in (p.name, *p.aliases)])):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"duplicate {what}: {twice}")
        units, places = self.unit_ids, {p.name for p in self.places}
        if self.default_unit not in units:
            raise ValueError(f"default_unit {self.default_unit!r} is not a unit id")
        for place in self.places:
            if place.within is not None and place.within not in places:
                raise ValueError(f"place {place.name!r}: within {place.within!r} is not a place")
        for rule in self.rules:
            if rule.unit not in units:
                raise ValueError(f"rule {rule.id!r}: unit {rule.unit!r} is not a unit id")
            unknown = [p for p in rule.places if p not in places]
            if unknown:
                raise ValueError(f"rule {rule.id!r}: places {unknown} are not in places")
        return self

    @property
    def unit_ids(self) -> set[str]:
        return {u.id for u in self.units}

    def unit(self, unit_id: str) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def place(self, name: str) -> Place | None:
        return next((p for p in self.places if p.name == name), None)

    def enclosing(self, name: str) -> list[Place]:
        """The place and every place it lies within, innermost first (a loop in `within` stops)."""
        chain: list[Place] = []
        place = self.place(name)
        while place is not None and place not in chain:
            chain.append(place)
            place = self.place(place.within) if place.within else None
        return chain

    def district_of(self, name: str) -> str | None:
        """The district a place lies in (for reports by district)."""
        return next((p.name for p in self.enclosing(name) if p.kind == "district"), None)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors())


def parse_units(data: object, categories: list[str] | None = None, where: str = "units") -> UnitsConfig:
    """Validate a units document (parsed YAML or a JSON body); `categories`: the taxonomy's names."""
    if not isinstance(data, dict):
        raise UnitsError(f"{where} must be a mapping at the top level")
    try:
        return UnitsConfig.model_validate(data, context={"categories": categories})
    except ValidationError as exc:
        raise UnitsError(f"{where} is invalid: {_problems(exc)}") from exc


def _default_path() -> Path:
    return get_settings().units_file


def read_units(path: Path | str | None = None, categories: list[str] | None = None) -> UnitsConfig:
    path = Path(path) if path else _default_path()
    return parse_units(read_yaml(path, UnitsError), categories, str(path))


_cache: dict[Path, tuple[int, UnitsConfig]] = {}


def load_units(path: Path | str | None = None) -> UnitsConfig:
    """The directory, re-read when the file changed (every process sees an admin's edit)."""
    path = Path(path) if path else _default_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise UnitsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    cached = _cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    config = read_units(path)
    _cache[path] = (stamp, config)
    return config


HEADER = ("# 承办单位 and 派单 rules (hotline/dispatch/directory.py validates it). Written by the admin API\n"
          "# (PUT /api/dispatch/units, audited); hand edits are fine too: `hotline config check`.\n")


def save_units(config: UnitsConfig, path: Path | str | None = None) -> None:
    """Write the directory atomically (temp file + rename: a reader never sees half a file)."""
    path = Path(path) if path else _default_path()
    data = config.model_dump(mode="json", exclude_defaults=False)
    text = HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".units-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
