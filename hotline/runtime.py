"""The controller process: AMI manager, AsyncAGI, each feature's consumers, and the web app in one loop."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import uvicorn

from hotline.core.config import Settings
from hotline.core.logging import log_event
from hotline.core.redis_client import redis_client
from telephony.agi import AsyncAgi
from telephony.ami.errors import AmiError, AmiLoginError
from telephony.ami.manager import AmiManager

log = logging.getLogger("hotline.runtime")


@dataclass
class Runtime:
    settings: Settings
    ami: AmiManager
    agi: AsyncAgi
    redis: aioredis.Redis
    tasks: set[asyncio.Task] = field(default_factory=set)
    features: dict[str, Any] = field(default_factory=dict)  # each feature's service object, by name

    def spawn(self, coro, name: str) -> asyncio.Task:
        """Background task owned by the runtime; cancelled on shutdown."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


def build_runtime(settings: Settings) -> Runtime:
    ami = AmiManager(
        settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret,
        ping_interval=settings.ami_ping_interval, action_timeout=settings.ami_action_timeout,
    )
    return Runtime(settings=settings, ami=ami, agi=AsyncAgi(ami),
                   redis=redis_client(settings))


async def start_features(runtime: Runtime) -> None:
    # imported here so `hotline` commands that never serve do not pay for the whole app
    from hotline.agents import service as agents
    from hotline.supervision import service as supervision
    from hotline.tickets import service as tickets
    from ivr import service as ivr

    for feature in (ivr, tickets, agents, supervision):
        await feature.start(runtime)


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


async def serve(settings: Settings) -> None:
    from hotline.api.app import create_app

    runtime = build_runtime(settings)
    await start_features(runtime)
    runtime.spawn(connect_when_ready(runtime.ami), name="ami first connect")
    config = uvicorn.Config(create_app(runtime), host=settings.http_host, port=settings.http_port,
                            log_level="warning", lifespan="off")
    log_event(log, "controller serving", http=f"{settings.http_host}:{settings.http_port}")
    try:
        await uvicorn.Server(config).serve()
    finally:
        for task in list(runtime.tasks):
            task.cancel()
        await runtime.ami.close()
        await runtime.redis.aclose()
