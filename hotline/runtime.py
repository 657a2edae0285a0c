"""The composition root: the controller process builds its connections and features here and hands each feature
what it needs (the call flow gets the ticket opener and the overflow policy; nothing reaches up for them)."""
from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import redis.asyncio as aioredis
import uvicorn

from hotline.agents.service import AgentsFeature
from hotline.api.app import create_app
from hotline.callback.config import load_config as load_callback_config
from hotline.callback.service import CallbackFeature
from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue, load_lines
from hotline.core.logging import log_event
from hotline.core.redis_client import redis_client
from hotline.dispatch.service import DispatchFeature
from hotline.hours.service import HoursService
from hotline.kb.service import KnowledgeBase
from hotline.lineadmin.service import LinesAdmin
from hotline.partners.service import PartnersFeature
from hotline.reports.monitor import HotspotMonitor
from hotline.supervision.config import load_config
from hotline.supervision.service import SupervisionService
from hotline.survey.service import SurveyFeature
from hotline.tickets import service as tickets
from hotline.tickets.taxonomy import default_taxonomy
from ivr.service import CallFlowFeature
from telephony.agi import AsyncAgi
from telephony.ami.errors import AmiError, AmiLoginError
from telephony.ami.manager import AmiManager

log = logging.getLogger("hotline.runtime")


class Feature(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Features:
    """The controller's features. HTTP-only tests may leave some out (routes then answer 503)."""
    calls: CallFlowFeature | None = None
    agents: AgentsFeature | None = None
    supervision: SupervisionService | None = None
    kb: KnowledgeBase | None = None
    hotspots: HotspotMonitor | None = None
    partners: PartnersFeature | None = None     # 水电气热 transfers (issue 13)
    survey: SurveyFeature | None = None   # end-of-call survey, 回访 calls, 满意率
    hours: HoursService | None = None          # opening hours: no loop of its own (not started/stopped)
    line_admin: LinesAdmin | None = None       # lines and accounts edited from /admin (no loop either)
    dispatch: DispatchFeature | None = None    # 承办单位 and 派单 rules, the 150 s measure
    callbacks: CallbackFeature | None = None   # 预约回拨

    def started_in_order(self) -> list[Feature]:
        # supervision first: the call flow asks it about overflow from the first call on
        return [f for f in (self.supervision, self.kb, self.agents, self.partners, self.survey, self.callbacks,
                            self.calls,
                            self.hotspots, self.dispatch) if f is not None]


@dataclass
class Runtime:
    settings: Settings
    ami: AmiManager
    agi: AsyncAgi
    redis: aioredis.Redis
    lines: LineCatalogue   # the line catalogue (config/queues.yaml), loaded once
    agi_actions: AmiManager | None = None   # AsyncAGI commands' own AMI session (events off)
    tasks: set[asyncio.Task] = field(default_factory=set)
    features: Features = field(default_factory=Features)

    def spawn(self, coro, name: str) -> asyncio.Task:
        """Background task owned by the runtime; cancelled (and awaited) on shutdown."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def start(self) -> None:
        for feature in self.features.started_in_order():
            await feature.start()

    async def stop(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for feature in reversed(self.features.started_in_order()):
            try:
                await feature.stop()
            except Exception as exc:  # one feature's shutdown must not keep the others open
                log_event(log, "feature stop failed", logging.WARNING, feature=type(feature).__name__,
                          error=repr(exc))
        if self.agi_actions is not None:
            await self.agi_actions.close()
        await self.ami.close()
        await self.redis.aclose()


def build_runtime(settings: Settings) -> Runtime:
    def login(events: bool) -> AmiManager:
        return AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
                          ping_interval=settings.ami_ping_interval, action_timeout=settings.ami_action_timeout,
                          events=events)
    ami, agi_actions = login(events=True), login(events=False)
    runtime = Runtime(settings=settings, ami=ami, agi=AsyncAgi(ami, agi_actions), agi_actions=agi_actions,
                      redis=redis_client(settings), lines=load_lines(settings.queues_file))
    runtime.features = build_features(runtime)
    return runtime


def build_features(runtime: Runtime) -> Features:
    """Each feature gets its dependencies here; features never import each other to find them."""
    # a rule for a line that does not exist stops the start
    overflow = load_config(runtime.settings.overflow_file, lines=runtime.lines.names)
    supervision = SupervisionService(runtime.redis, runtime.ami, overflow, runtime.lines, spawn=runtime.spawn)
    kb = KnowledgeBase(runtime.redis, today=runtime.settings.today, categories=set(default_taxonomy().category_names),
                       lines=set(runtime.lines.names), seed_file=runtime.settings.kb_file)
    agents = AgentsFeature(runtime.redis, runtime.ami, runtime.lines, spawn=runtime.spawn, hints=kb.hints_for)
    hours = HoursService(runtime.settings, runtime.lines)   # a bad hours.yaml stops the start, like overflow
    calls = CallFlowFeature(runtime.settings, runtime.ami, runtime.agi, runtime.redis, runtime.spawn,
                            open_ticket=partial(tickets.open_draft, runtime.redis, lines=runtime.lines),
                            overflow=supervision.overflow_for, lines=runtime.lines, is_open=hours.is_open)
    partners = PartnersFeature(runtime.redis, runtime.ami, runtime.lines, spawn=runtime.spawn)
    hotspots = HotspotMonitor(runtime.redis, supervision.notice, runtime.spawn)   # alerts go to the supervisors
    survey = SurveyFeature(runtime.settings, runtime.redis, runtime.ami, runtime.lines, spawn=runtime.spawn)
    calls.on_agi("survey", survey.end_of_call(calls.journal).handle)
    calls.on_agi("followup", survey.dialer.handle_call)
    dispatch = DispatchFeature(runtime.redis, runtime.settings.units_file)   # an unreadable units.yaml stops the start
    # 预约回拨: the offer follows supervision's live queue model; the ticket says 预约回拨 / 回拨未接通
    callbacks = CallbackFeature(runtime.settings, runtime.ami, runtime.agi, runtime.redis,
                                load_callback_config(runtime.settings.callback_file, runtime.lines.names),
                                supervision.model, mark_ticket=partial(tickets.set_callback, runtime.redis),
                                spawn=runtime.spawn, labels=runtime.lines.labels())
    return Features(calls=calls, agents=agents, supervision=supervision, kb=kb, hotspots=hotspots, partners=partners,
                    survey=survey, hours=hours, line_admin=LinesAdmin(runtime.settings, runtime.lines, runtime.ami),
                    dispatch=dispatch, callbacks=callbacks)


async def connect_when_ready(ami: AmiManager, max_backoff: float = 5.0) -> None:
    """Asterisk may start after us (or be restarting): keep trying; the web app reports degraded meanwhile.
    After the first login the manager reconnects by itself. Wrong credentials will not fix themselves: stop."""
    backoff = 0.5
    while True:
        try:
            await ami.connect()
            return
        except AmiLoginError as exc:
            log_event(log, "AMI login refused: check HOTLINE_AMI_USER/HOTLINE_AMI_SECRET", logging.ERROR,
                      error=str(exc))
            raise
        except (AmiError, OSError) as exc:
            log_event(log, "AMI not reachable yet, retrying", logging.WARNING, error=str(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)


def settle_heap() -> None:
    """What starting made (modules, models, catalogues, menus) is never garbage: frozen out of the cyclic
    collector, whose full passes over it stopped the event loop 0.24-0.73 s every few seconds at 1,000 calls;
    young collections every 50,000 allocations instead of 700 promote less into the old generation.
    Measured together in bench/capacity.py (docs/performance.md, capacity)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


async def serve(settings: Settings) -> None:
    runtime = build_runtime(settings)
    await runtime.start()
    settle_heap()
    runtime.spawn(connect_when_ready(runtime.ami), name="ami first connect")
    if runtime.agi_actions is not None:
        runtime.spawn(connect_when_ready(runtime.agi_actions), name="ami (AGI commands) first connect")
    config = uvicorn.Config(create_app(runtime), host=settings.http_host, port=settings.http_port,
                            log_level="warning", lifespan="off")
    log_event(log, "controller serving", http=f"{settings.http_host}:{settings.http_port}")
    try:
        await uvicorn.Server(config).serve()
    finally:
        await runtime.stop()
