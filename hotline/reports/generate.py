"""A realistic ticket history for testing and measuring the hotspot reports (`hotline tickets generate`).

Daily volume is Poisson around `per_day` with a weekly rhythm (busy Mondays, quiet Sundays; none in `flat`
mode), calls follow the hotline's day (peaks mid-morning and mid-afternoon), lines and categories follow a fixed
mix (the tourism line hears tourism, the business line business), and places come from the gazetteer by the
kind a category concerns (heating → housing estates, tourism → scenic spots), some places busier than others.
Injected on top: a cluster (同诉: several callers about one category and place within hours) and a category
spike (a day with `factor` times the usual calls of a category).

Tickets are written by the ticket store's own create-once step and counted by the same report fact step as
live tickets, pipelined in batches (the bulk path; tests/unit/reports checks it gives the same aggregates).
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np

from hotline.reports import facts
from hotline.reports.places import Places, default_places
from hotline.tickets import store
from hotline.tickets.model import AuditEntry, Repeat, Ticket, Transcript

NO_REPEAT = Repeat()   # shared: model_construct copies nothing, and these tickets are only serialised
WEEKLY = (1.15, 1.08, 1.02, 1.0, 0.97, 0.85, 0.78)   # Monday .. Sunday
HOURLY = np.array([2, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 8, 10, 14, 14, 12, 10, 8, 7, 6, 5, 4, 3], float)
LINES = {"general": ("综合服务", 0.8), "business": ("企业服务", 0.1), "tourism": ("文旅服务专线", 0.1)}
CATEGORY_WEIGHTS = {"供暖": 8, "物业": 12, "供水/排水": 9, "供电": 6, "燃气": 4, "路灯/井盖/道路": 7, "噪声/油烟": 8,
                    "交通/出租车": 6, "旅游/民宿/景区": 4, "营商/企业办事": 4, "医保社保": 6, "环境卫生": 7, "教育": 5,
                    "住房/拆迁": 4, "劳动/欠薪": 5, "市场监管/消费": 6, "其他": 4}
LINE_FOCUS = {"business": {"营商/企业办事": 12, "劳动/欠薪": 3}, "tourism": {"旅游/民宿/景区": 14, "交通/出租车": 2}}
KIND_OF_CATEGORY = {"旅游/民宿/景区": {"scenic": 6, "commercial": 1}, "交通/出租车": {"road": 5, "commercial": 1},
                    "路灯/井盖/道路": {"road": 4, "residential": 1}, "教育": {"school": 1},
                    "医保社保": {"hospital": 2, "residential": 1}, "市场监管/消费": {"commercial": 4, "residential": 1},
                    "营商/企业办事": {"commercial": 3, "road": 1}}
NO_PLACE = 0.1   # share of tickets that name no place
TYPES = ("咨询", "求助", "投诉", "建议", "表扬")
TYPE_P = np.array([0.35, 0.3, 0.28, 0.05, 0.02])


@dataclass(frozen=True)
class Cluster:
    category: str
    place: str
    day: dt.date
    callers: int = 6
    hours: float = 30.0   # spread of the calls, from 09:00 of `day`


@dataclass(frozen=True)
class Spike:
    category: str
    day: dt.date
    factor: float = 3.0


@dataclass
class Profile:
    days: int = 90
    per_day: int = 2500
    seed: int = 1
    end: dt.date = field(default_factory=lambda: dt.date.today() - dt.timedelta(days=1))  # the last day
    flat: bool = False
    clusters: list[Cluster] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)

    @property
    def first(self) -> dt.date:
        return self.end - dt.timedelta(days=self.days - 1)


class _Draw:
    """The fixed mixes (line × category, category → places) as probability tables."""

    def __init__(self, places: Places, rng: np.random.Generator) -> None:
        self.categories = list(CATEGORY_WEIGHTS)
        self.lines = list(LINES)
        joint = []
        for line in self.lines:
            focus = LINE_FOCUS.get(line)
            weights = np.array([(focus or CATEGORY_WEIGHTS).get(c, 0.3 if focus else 0) for c in self.categories], float)
            joint.append(LINES[line][1] * weights / weights.sum())
        self.joint = np.concatenate(joint)
        self.joint /= self.joint.sum()
        names = sorted(places.by_name)
        popularity = rng.pareto(1.5, len(names)) + 1   # a few busy places, many quiet ones
        kinds = np.array([places.by_name[n].kind for n in names])
        self.place_names = names
        self.place_p = {}
        for category in self.categories:
            wanted = KIND_OF_CATEGORY.get(category, {"residential": 1})
            weights = popularity * np.array([wanted.get(k, 0.02) for k in kinds])
            self.place_p[category] = weights / weights.sum()

    def places_for(self, cats: list[str], rng) -> list[str]:
        """A place for each ticket, drawn by its category (one draw per category)."""
        out = [""] * len(cats)
        by_category: dict[str, list[int]] = {}
        for i, category in enumerate(cats):
            by_category.setdefault(category, []).append(i)
        for category, rows in by_category.items():
            for i, j in zip(rows, rng.choice(len(self.place_names), size=len(rows), p=self.place_p[category])):
                out[i] = self.place_names[j]
        return out


def _ticket(n: int, seed: int, created: float, line: str, category: str, place: str, caller: str,
            request_type: str) -> Ticket:
    label = LINES[line][0]
    text = f"我要反映{place}的{category}问题" if place else f"我要反映{category}方面的问题"
    submitted = created + 150
    return Ticket.model_construct(
        id=store.ID_PLACEHOLDER, call_id=f"gen-{seed}-{n}", caller=caller, created_at=created, updated_at=submitted,
        line=line, line_label=label, menu_version=None, intake="menu", handlers=[f"agent{n % 40 + 1}"],
        started_at=created - 40, recording_path=None, transcript=Transcript(status="done"),
        hanzi=Transcript(status="done", text=text, engine="generated"), request_type=request_type,
        category=category, category_confidence=0.9, location_hints=[place] if place else [], urgency="normal",
        matched=[], repeat=NO_REPEAT, status="submitted", agent=f"agent{n % 40 + 1}",
        summary=text, suggested_summary=text, address="", notes="", edited=[], submitted_at=submitted,
        audit=[AuditEntry(t=created, who="system", action="created", changes={"line": line, "intake": "menu"})],
        audit_dropped=0)


def _midnight(day: dt.date) -> float:
    return time.mktime(day.timetuple())


def history(profile: Profile, places: Places | None = None):
    """Yield the tickets of the profile, day by day, oldest first (not yet stored)."""
    places = places or default_places()
    rng = np.random.default_rng(profile.seed)
    draw = _Draw(places, rng)
    hour_p = HOURLY / HOURLY.sum()
    callers = rng.integers(13_000_000_000, 13_999_999_999, size=max(1000, profile.days * profile.per_day))
    n = 0
    for offset in range(profile.days):
        day = profile.first + dt.timedelta(days=offset)
        rate = profile.per_day * (1.0 if profile.flat else WEEKLY[day.weekday()])
        count = int(rng.poisson(rate))
        extra = [(s.category, int(rng.poisson(rate * _share(draw, s.category) * (s.factor - 1))))
                 for s in profile.spikes if s.day == day]
        pairs = rng.choice(len(draw.joint), size=count, p=draw.joint)
        lines = [draw.lines[i // len(draw.categories)] for i in pairs]
        cats = [draw.categories[i % len(draw.categories)] for i in pairs]
        for category, k in extra:
            lines += ["general"] * k
            cats += [category] * k
        seconds = _midnight(day) + rng.choice(24, size=len(cats), p=hour_p) * 3600 + rng.uniform(0, 3600, len(cats))
        has_place = rng.random(len(cats)) >= NO_PLACE
        types = rng.choice(len(TYPES), size=len(cats), p=TYPE_P)
        who = rng.choice(callers, size=len(cats))
        where = draw.places_for(cats, rng)
        batch = [(float(seconds[i]), lines[i], category, where[i] if has_place[i] else "", str(who[i]),
                  TYPES[types[i]]) for i, category in enumerate(cats)]
        batch += _cluster_calls(profile, day, rng)
        for created, line, category, place, caller, request_type in sorted(batch):
            n += 1
            yield _ticket(n, profile.seed, created, line, category, place, caller, request_type)


def _share(draw: _Draw, category: str) -> float:
    j = draw.categories.index(category)
    return float(draw.joint[j::len(draw.categories)].sum())


def _cluster_calls(profile: Profile, day: dt.date, rng) -> list[tuple]:
    out = []
    for c in profile.clusters:
        if c.day != day:
            continue
        start = _midnight(day) + 9 * 3600
        for k in range(c.callers):
            caller = str(15_000_000_000 + int(rng.integers(0, 999_999_999)))
            out.append((start + c.hours * 3600 * k / max(1, c.callers - 1), "general", c.category, c.place, caller, "投诉"))
    return out


async def write(redis, tickets, batch: int = 1000, places: Places | None = None) -> int:
    """Store tickets through the create-once step and count them in the reports: two pipelines per batch."""
    places = places or default_places()
    written, chunk = 0, []
    for ticket in tickets:
        chunk.append(ticket)
        if len(chunk) >= batch:
            written += await _write_chunk(redis, chunk, places)
            chunk = []
    if chunk:
        written += await _write_chunk(redis, chunk, places)
    return written


async def _write_chunk(redis, chunk: list[Ticket], places: Places) -> int:
    shas: dict[str, str] = {}

    async def by_sha(pipe, command: tuple) -> None:   # the scripts' bodies are sent once, not per ticket
        if command[0] not in shas:
            shas[command[0]] = await redis.script_load(command[0])
        pipe.evalsha(shas[command[0]], *command[1:])
    pipe = redis.pipeline(transaction=False)
    for ticket in chunk:
        await by_sha(pipe, store.create_command(ticket))
    results = await pipe.execute()
    pipe = redis.pipeline(transaction=False)
    created = 0
    for ticket, (ticket_id, new) in zip(chunk, results):
        if int(new):
            created += 1
            ticket.id = ticket_id
            await by_sha(pipe, facts.command(facts.fact_of(ticket, places)))
    await pipe.execute()
    return created
