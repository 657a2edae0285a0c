"""Typer sub-commands of `hotline`; `fail` is how a command reports an error it cannot get past,
`run_with_redis` how a command talks to this instance's Redis."""
from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: object) -> NoReturn:
    """`✘ message` in red on stderr, exit status 1."""
    typer.secho(f"✘ {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def run_with_redis(operation):
    """`operation(client)` on this instance's Redis (decoded strings), with a clear error if it is down."""
    import asyncio

    from redis.exceptions import ConnectionError as RedisConnectionError

    from hotline.core.config import Settings
    from hotline.core.redis_client import redis_client

    async def run():
        settings = Settings()
        url, client = settings.redis_url, redis_client(settings)
        try:
            return await operation(client)
        except RedisConnectionError as exc:
            fail(f"Redis at {url} does not answer ({exc}); start it with `hotline redis up`")
        finally:
            await client.aclose()

    return asyncio.run(run())
