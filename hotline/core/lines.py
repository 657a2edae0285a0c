"""The line catalogue (config/queues.yaml): the only place that knows the hotline's lines.

A line is a route the menu can send a caller to (`business` 企业服务, ...), its app_queue, its label and
the agents who serve it. Loaded once at start and passed to whoever needs it (tickets, agents,
supervision, the PBX renderer, `hotline config check`); an unknown line is an error, never "general".
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotline.core.partners import Partner, check_partners, pbx_partners
from hotline.core.yamlfile import read_yaml

# the line the dialplan falls back to (controller down, flow failure, orphaned calls): it must exist
FALLBACK_LINE = "general"
PARTNERS_FILE = "partners.yaml"   # read with queues.yaml, from the same directory
LINE_NAME = r"^[a-z][a-z0-9_]{0,31}$"   # a dialplan extension and a channel variable value: keep it plain
Endpoint = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]   # a PJSIP endpoint (agentN)


class LinesError(ValueError):
    """The catalogue file is missing, not YAML or breaks the schema; the message names file and field."""


class UnknownLine(LookupError):
    """A line name that is not in the catalogue."""

    def __init__(self, name: object, known: list[str]):
        super().__init__(f"unknown line {name!r}; the lines are {', '.join(known)} (config/queues.yaml)")
        self.name = name


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=LINE_NAME)
    label: str = Field(min_length=1, max_length=32)
    # the app_queue name (AMI `Queue:` header); queues.conf reserves [general], so names are prefixed
    asterisk_queue: str = Field(default="", pattern=r"^$|^[A-Za-z0-9_-]{1,64}$")
    max_wait_seconds: int = Field(default=600, ge=10, le=86400)
    service_level_seconds: int = Field(default=20, ge=1, le=600)
    # static members (queues.conf `member =>`): in the queue from Asterisk start, answer without a console login
    members: list[Endpoint] = []
    # agents who join the queue when they sign in on the console (QueueAdd; dynamic members)
    login_members: list[Endpoint] = []

    @model_validator(mode="after")
    def _queue_name(self) -> Line:
        if not self.asterisk_queue:
            object.__setattr__(self, "asterisk_queue", f"hotline-{self.name}")
        if self.asterisk_queue.lower() == "general":
            raise ValueError("queues.conf reserves [general]: asterisk_queue cannot be 'general'")
        both = sorted(set(self.members) & set(self.login_members))
        if both:
            raise ValueError(f"{both} listed in both members and login_members")
        return self

    @property
    def agents(self) -> list[str]:
        return self.members + self.login_members


class LineCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    queues: list[Line] = Field(min_length=1)
    # partner lines (水电气热 linkage): config/partners.yaml, read with queues.yaml (load_lines)
    partners: list[Partner] = []

    @model_validator(mode="after")
    def _unique(self) -> LineCatalogue:
        for attr in ("name", "asterisk_queue"):
            values = [getattr(line, attr) for line in self.queues]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"duplicate {attr}: {dupes}")
        if FALLBACK_LINE not in self.names:
            raise ValueError(f"a line named {FALLBACK_LINE!r} is required: the dialplan falls back to it")
        check_partners(self.partners, self.names)
        return self

    @property
    def names(self) -> list[str]:
        return [line.name for line in self.queues]

    def get(self, name: object) -> Line:
        for line in self.queues:
            if line.name == name:
                return line
        raise UnknownLine(name, self.names)

    def __contains__(self, name: object) -> bool:
        return any(line.name == name for line in self.queues)

    def label(self, name: object) -> str:
        return self.get(name).label

    def labels(self) -> dict[str, str]:
        return {line.name: line.label for line in self.queues}

    def by_asterisk_queue(self, queue: str | None) -> Line | None:
        """AMI `Queue:` (hotline-business) -> its line; None for a queue that is not ours."""
        return next((line for line in self.queues if line.asterisk_queue == queue), None)

    def queues_for(self, endpoint: str | None) -> list[str]:
        """The lines an agent's phone serves (static or on console login), in catalogue order."""
        return [line.name for line in self.queues if endpoint and endpoint in line.agents]

    def endpoints(self) -> set[str]:
        return {e for line in self.queues for e in line.agents}

    def replace_from(self, edited: LineCatalogue) -> None:
        """Swap in an edited catalogue (the /admin lines tab) in place: every feature holding this object
        (tickets, agents, supervision, the call flow) sees the change without a restart. Only the admin
        service calls it, after validating and writing queues.yaml."""
        object.__setattr__(self, "queues", edited.queues)

    def pbx_queues(self) -> list[dict]:
        """Plain data for the Asterisk renderer (telephony knows no hotline rule, only these fields)."""
        return [line.model_dump(include={"name", "label", "asterisk_queue", "members", "max_wait_seconds",
                                         "service_level_seconds"}) for line in self.queues]

    # -- partners (水电气热) ---------------------------------------------------------------------------
    @property
    def partner_names(self) -> list[str]:
        return [p.name for p in self.partners]

    def partner(self, name: object) -> Partner:
        for partner in self.partners:
            if partner.name == name:
                return partner
        raise UnknownPartner(name, self.partner_names)

    def partners_for_category(self, category: str | None) -> list[Partner]:
        """Every partner, the ones owning `category` first (the console's 一键转接 list)."""
        return sorted(self.partners, key=lambda p: category not in p.categories)

    def pbx_partners(self) -> list[dict]:
        return pbx_partners(self.partners)


class UnknownPartner(LookupError):
    def __init__(self, name: object, known: list[str]):
        super().__init__(f"unknown partner {name!r}; the partners are {', '.join(known) or 'none'} "
                         "(config/partners.yaml)")
        self.name = name


def parse_lines(data: object, source: str = "queues.yaml") -> LineCatalogue:
    try:
        return LineCatalogue.model_validate(data)
    except ValidationError as exc:
        raise LinesError(f"{source}: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())


def _read(path: Path) -> object:
    return read_yaml(path, LinesError)


def load_lines(path: Path | str, partners_path: Path | str | None = None) -> LineCatalogue:
    """queues.yaml, with the partners of partners.yaml (default: next to it; no file, no partners)."""
    path = Path(path)
    data = _read(path)
    partners_file = Path(partners_path) if partners_path else path.with_name(PARTNERS_FILE)
    if isinstance(data, dict) and "partners" not in data and partners_file.exists():
        partners = _read(partners_file)
        if not isinstance(partners, dict):
            raise LinesError(f"{partners_file}: (top): expected a mapping with `partners:`")
        try:
            data = {**data, "partners": partners.get("partners") or []}
            return LineCatalogue.model_validate(data)
        except ValidationError as exc:
            raise LinesError(f"{path} + {partners_file}: {_problems(exc)}") from None
    return parse_lines(data, str(path))
