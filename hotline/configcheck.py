"""`hotline config check`: every file of the config dir validated alone and against the others.

Each problem is one `Problem(file, field, reason)`, printed `file:field: reason`. Each file is checked
with the schema its feature loads it with; the cross-file rules (menus name lines and prompts, lines
name agents' phones, overflow rules and taxonomy priors name lines, dispatch rules name categories) are here, the only place that sees
all files at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from hotline.auth.users import Directory, Role
from hotline.core.config import CONFIG_DIR, CONFIG_FILES, SETTINGS_FILE, Settings, SettingsFileError
from hotline.core.lines import PARTNERS_FILE, LineCatalogue
from hotline.core.partners import Partner, check_partners
from hotline.dispatch.directory import UnitsConfig
from hotline.hours.model import HoursBook
from hotline.kb.seed import KbSeed
from hotline.reports.places import Gazetteer
from hotline.supervision.config import OverflowConfig
from hotline.tickets.taxonomy import Taxonomy
from ivr import prompts
from ivr.menus.schema import MenuTree, PlayAction, QueueAction, TransferAction


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.field}: {self.reason}"


class _Checker:
    def __init__(self, config_dir: Path):
        self.config_dir = config_dir
        self.problems: list[Problem] = []

    def add(self, path: Path, field: str, reason: str) -> None:
        name = path.name if path.parent == self.config_dir else str(path)
        self.problems.append(Problem(name, field or "(top)", reason))

    def settings(self) -> Settings | None:
        path = self.config_dir / SETTINGS_FILE
        try:
            return Settings(config_dir=self.config_dir)
        except SettingsFileError as exc:
            for key in exc.keys:
                self.add(path, key, "unknown setting (a typo? see hotline/core/config.py for the settings)")
            if not exc.keys:
                self.add(path, "(file)", str(exc).split(": ", 1)[-1])
        except ValidationError as exc:
            for err in exc.errors():
                self.add(path, ".".join(map(str, err["loc"])), err["msg"])
        return None

    def read(self, path: Path) -> Any:
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            self.add(path, "(file)", f"cannot read ({exc.strerror or exc})")
        except yaml.YAMLError as exc:
            self.add(path, "(file)", f"not valid YAML ({str(exc).splitlines()[0]})")
        return None

    def model(self, path: Path, model: type[BaseModel], context: dict | None = None) -> Any:
        data = self.read(path)
        if data is None and not self.problems_for(path):
            self.add(path, "(file)", "is empty")
        if data is None:
            return None
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            for err in exc.errors():
                self.add(path, ".".join(map(str, err["loc"])), err["msg"].removeprefix("Value error, "))
        return None

    def problems_for(self, path: Path) -> bool:
        return any(p.file in (path.name, str(path)) for p in self.problems)


def check_config(config_dir: Path | str = CONFIG_DIR) -> list[Problem]:
    """Every problem of the config dir's files; [] when all is well."""
    config_dir = Path(config_dir).resolve()
    c = _Checker(config_dir)
    settings = c.settings()
    files = {key: Path(getattr(settings, key)) if settings else config_dir / name for key, name in CONFIG_FILES.items()}
    agent_count = settings.agent_count if settings else Settings.model_fields["agent_count"].default
    phones = {f"agent{n}" for n in range(1, agent_count + 1)}   # PJSIP endpoints the PBX renders

    lines = c.model(files["queues_file"], LineCatalogue)
    partners_path = files["queues_file"].with_name(PARTNERS_FILE)
    partners = _partners(c, partners_path, lines) if lines and partners_path.exists() else None
    names = lines.names if lines else None
    texts = c.model(files["prompts_file"], prompts.PromptTexts)
    known_prompts = set(texts.root if texts else ()) | (prompts.available(settings) if settings else set())
    menu = c.model(files["menus_file"], MenuTree)
    directory = c.model(files["users_file"], Directory)
    overflow = c.model(files["overflow_file"], OverflowConfig)
    taxonomy = c.model(files["taxonomy_file"], Taxonomy)
    c.model(config_dir / "places.yaml", Gazetteer)   # the hotspot reports' gazetteer
    # 承办单位 and 派单 rules: the rules' categories must be the taxonomy's
    c.model(files["units_file"], UnitsConfig, {"categories": taxonomy.category_names if taxonomy else None})
    if names is not None:
        _names_lines(c, files["overflow_file"], overflow, taxonomy, files["taxonomy_file"], names)
    if lines:
        _lines_vs_phones(c, files["queues_file"], lines, phones, directory)
    if menu:
        _menu_refs(c, files["menus_file"], menu, names, known_prompts if texts else None)
        _menu_partners(c, files["menus_file"], menu, {p.name for p in partners or []})
    if partners and taxonomy:
        _partner_categories(c, partners_path, partners, taxonomy)
    if directory:
        for i, user in enumerate(directory.users):
            if user.endpoint and user.role is Role.agent and user.endpoint not in phones:
                c.add(files["users_file"], f"users.{i}.endpoint",
                      f"{user.endpoint!r} is not a phone of this PBX (agent1..agent{agent_count}; agent_count)")
    _overflow_prompts(c, files["overflow_file"], known_prompts if texts else None)
    if files["kb_file"].exists():   # optional: a hotline may start with an empty knowledge base
        _kb_refs(c, files["kb_file"], c.model(files["kb_file"], KbSeed), taxonomy, names)
    _survey_refs(c, config_dir / SETTINGS_FILE, settings, names, known_prompts if texts else None)
    _hours(c, files["hours_file"], names, known_prompts if texts else None)
    _callback(c, files["callback_file"], names, known_prompts if texts else None)
    return c.problems


def _kb_refs(c: _Checker, path: Path, seed: KbSeed | None, taxonomy: Taxonomy | None, names: list[str] | None) -> None:
    for i, article in enumerate(seed.articles if seed else ()):
        for j, category in enumerate(article.categories):
            if taxonomy and category not in taxonomy.category_names:
                c.add(path, f"articles.{i}.categories.{j}", f"unknown category {category!r}")
        for j, line in enumerate(article.lines):
            if names is not None and line not in names:
                c.add(path, f"articles.{i}.lines.{j}", f"unknown line {line!r}")


def _survey_refs(c: _Checker, path: Path, settings: Settings | None, names: list[str] | None,
                 known: set[str] | None) -> None:
    """The survey's lines exist; its prompts do (hotline/survey)."""
    if settings is None:
        return
    for line in settings.survey_disabled_lines:
        if names is not None and line not in names:
            c.add(path, "survey_disabled_lines", f"unknown line {line!r}; one of {names}")
    for prompt in ("survey", "survey-thanks"):
        if known is not None and settings.survey_enabled and prompt not in known:
            c.add(path, "survey_enabled", f"the survey needs prompt {prompt!r} (config/prompts.yaml)")


def _hours(c: _Checker, path: Path, names: list[str] | None, known: set[str] | None) -> None:
    """hours.yaml is optional (every line always open without it); its lines and prompts must exist."""
    hours = c.model(path, HoursBook) if path.exists() else None
    if hours is None:
        return
    for problem in hours.check_lines(names) if names is not None else []:
        field, _, reason = problem.partition(": ")
        c.add(path, field, reason)
    for line, entry in hours.lines.items():
        if known is not None and entry.closed.prompt not in known:
            c.add(path, f"lines.{line}.closed.prompt", f"prompt {entry.closed.prompt!r} does not exist (prompts.yaml)")


def _callback(c: _Checker, path: Path, names: list[str] | None, known: set[str] | None) -> None:
    """预约回拨 (optional file): its lines exist, and the prompts it plays do."""
    from hotline.callback.config import PROMPTS, CallbackConfig

    callback = c.model(path, CallbackConfig) if path.exists() else None
    if callback is None:
        return
    for problem in callback.check_lines(names) if names is not None else []:
        field, reason = problem.split(": ", 1)
        c.add(path, field, reason)
    for prompt in [p for p in PROMPTS if known is not None and callback.lines and p not in known]:
        c.add(path, "lines", f"prompt {prompt!r} does not exist (prompts.yaml)")


def _lines_vs_phones(c: _Checker, path: Path, lines: LineCatalogue, phones: set[str],
                     directory: Directory | None) -> None:
    users = {u.endpoint for u in directory.users if u.endpoint} if directory else None
    for i, line in enumerate(lines.queues):
        for key in ("members", "login_members"):
            for j, endpoint in enumerate(getattr(line, key)):
                if endpoint not in phones:
                    c.add(path, f"queues.{i}.{key}.{j}", f"{endpoint!r} is not a phone of this PBX (agent_count)")
                elif users is not None and endpoint not in users:
                    c.add(path, f"queues.{i}.{key}.{j}", f"no user in users.yaml has endpoint {endpoint!r}")


def _names_lines(c: _Checker, overflow_path: Path, overflow: OverflowConfig | None, taxonomy: Taxonomy | None,
                 taxonomy_path: Path, names: list[str]) -> None:
    unknown = f"is not a line of queues.yaml ({', '.join(names)})"
    for name, queue in (overflow.queues if overflow else {}).items():
        if name not in names:
            c.add(overflow_path, f"queues.{name}", unknown)
        if queue.overflow.queue and queue.overflow.queue not in names:
            c.add(overflow_path, f"queues.{name}.overflow.queue", f"{queue.overflow.queue!r} {unknown}")
    for name in (taxonomy.line_priors if taxonomy else {}):
        if name not in names:
            c.add(taxonomy_path, f"line_priors.{name}", unknown)


# -- partners (水电气热 linkage, issue 13) ------------------------------------------------------------------
class _PartnerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partners: list[Partner] = []


def _partners(c: _Checker, path: Path, lines: LineCatalogue) -> list[Partner] | None:
    found = c.model(path, _PartnerFile)
    if found is None:
        return None
    try:
        return check_partners(found.partners, lines.names)
    except ValueError as exc:
        c.add(path, "partners", str(exc).removeprefix("partners: "))
    return None


def _menu_partners(c: _Checker, path: Path, menu: MenuTree, known: set[str]) -> None:
    for menu_name, m in menu.menus.items():
        for where, action in MenuTree.actions_of(m):
            if isinstance(action, TransferAction) and action.partner not in known:
                c.add(path, f"menus.{menu_name}.{where.replace('key ', 'keys.')}.partner",
                      f"partner {action.partner!r} does not exist in partners.yaml ({', '.join(sorted(known))})")


def _partner_categories(c: _Checker, path: Path, partners: list[Partner], taxonomy: Taxonomy) -> None:
    for i, partner in enumerate(partners):
        for j, category in enumerate(partner.categories):
            if category not in taxonomy.category_names:
                c.add(path, f"partners.{i}.categories.{j}", f"{category!r} is not a category of taxonomy.yaml")


def _menu_refs(c: _Checker, path: Path, menu: MenuTree, names: list[str] | None, known: set[str] | None) -> None:
    for menu_name, m in menu.menus.items():
        for where, action in MenuTree.actions_of(m):
            field = f"menus.{menu_name}.{where.replace('key ', 'keys.')}"
            if isinstance(action, (QueueAction, TransferAction)) and names is not None and action.queue not in names:
                c.add(path, f"{field}.queue",
                      f"line {action.queue!r} does not exist in queues.yaml ({', '.join(names)})")
            if isinstance(action, (PlayAction, TransferAction)) and action.prompt and known is not None \
                    and action.prompt not in known:
                c.add(path, f"{field}.prompt", f"prompt {action.prompt!r} does not exist (prompts.yaml)")
        for attr in ("prompt", "invalid_prompt"):
            if known is not None and getattr(m, attr) not in known:
                c.add(path, f"menus.{menu_name}.{attr}", f"prompt {getattr(m, attr)!r} does not exist (prompts.yaml)")
    if known is not None and menu.record_prompt not in known:
        c.add(path, "record_prompt", f"prompt {menu.record_prompt!r} does not exist (prompts.yaml)")


def _overflow_prompts(c: _Checker, path: Path, known: set[str] | None) -> None:
    data = c.read(path) if known is not None and not c.problems_for(path) else None
    for name, queue in ((data or {}).get("queues") or {}).items():
        prompt = ((queue or {}).get("overflow") or {}).get("prompt")
        if prompt and prompt not in known:
            c.add(path, f"queues.{name}.overflow.prompt", f"prompt {prompt!r} does not exist (prompts.yaml)")
