"""The gazetteer (config/places.yaml): districts → streets → places, and the lookup that files a ticket's
location hints / address under a place, its street and its district."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotline.core.config import get_settings

FILE_NAME = "places.yaml"   # in config_dir (HOTLINE_CONFIG_DIR)
UNKNOWN = "未知"
PLACE_MAX = 40  # an unknown hint kept as a place is cut to this (report keys stay small)
_FIELD_UNSAFE = str.maketrans({"|": " ", ":": " ", "\n": " ", "\t": " "})


class PlacesError(ValueError):
    """The gazetteer is missing, not YAML, or does not follow the schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Street(_Strict):
    name: str = Field(min_length=2, max_length=PLACE_MAX)
    places: list[str] = Field(min_length=1)


class District(_Strict):
    name: str = Field(min_length=2, max_length=PLACE_MAX)
    streets: list[Street] = Field(min_length=1)


class Gazetteer(_Strict):
    version: int = 1
    kinds: dict[str, list[str]] = Field(min_length=1)   # kind -> name endings
    districts: list[District] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "Gazetteer":
        names = [p for d in self.districts for s in d.streets for p in s.places]
        names += [s.name for d in self.districts for s in d.streets] + [d.name for d in self.districts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"names must be unique across the city: {twice}")
        bad = [n for n in names if len(n) < 2 or len(n) > PLACE_MAX or n != n.translate(_FIELD_UNSAFE)]
        if bad:
            raise ValueError(f"names must be 2-{PLACE_MAX} characters without | : or spaces: {bad}")
        return self


@dataclass(frozen=True)
class Place:
    name: str
    street: str
    district: str
    kind: str


class Places:
    """Lookup over the gazetteer: longest known name contained in a hint wins."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.by_name: dict[str, Place] = {}
        for d in gazetteer.districts:
            for s in d.streets:
                for p in s.places:
                    self.by_name[p] = Place(p, s.name, d.name, self.kind_of(p))
        self._streets = {s.name: d.name for d in gazetteer.districts for s in d.streets}
        self._districts = [d.name for d in gazetteer.districts]
        self._names = sorted(self.by_name, key=len, reverse=True)

    def kind_of(self, name: str) -> str:
        endings = [(len(e), k) for k, ends in self.gazetteer.kinds.items() for e in ends if name.endswith(e)]
        return max(endings)[1] if endings else "other"

    def resolve(self, hints: list[str], address: str = "") -> Place | None:
        """The place a ticket is about: a known place in its hints, then its address; else a known street or
        district; else the first hint as an unknown place; None when there is nothing."""
        texts = [h for h in [*hints, address] if h]
        for text in texts:
            for name in self._names:
                if name in text:
                    return self.by_name[name]
        for text in texts:
            for street, district in self._streets.items():
                if street in text:
                    return Place("", street, district, "street")
            for district in self._districts:
                if district in text:
                    return Place("", "", district, "district")
        if hints and hints[0].strip():
            return Place(clean(hints[0]), "", "", "unknown")
        return None


def clean(text: str) -> str:
    """A free-text name made safe as part of a report field (no separators, bounded)."""
    return " ".join(text.translate(_FIELD_UNSAFE).split())[:PLACE_MAX]


def load_places(path: Path | str) -> Places:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Places(Gazetteer.model_validate(data))
    except OSError as exc:
        raise PlacesError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise PlacesError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise PlacesError(f"{path}: {where}") from exc


@lru_cache(maxsize=1)
def default_places() -> Places:
    return load_places(Path(get_settings().config_dir) / FILE_NAME)
