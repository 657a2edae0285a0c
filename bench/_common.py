"""What the benchmarks share: percentiles, a free port, the web app served in this process, and their
section of docs/performance.md. Scripts in bench/ import it as `from _common import ...` (their folder is
on sys.path); a throwaway Redis is hotline.core.redis_server.throwaway_redis."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank: pct(v, 0.99) is p99."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(app) -> AsyncIterator[int]:
    """uvicorn serving `app` on a free loopback port in this event loop; yields the port."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def write_doc_section(doc: Path, start_mark: str, end_mark: str, section: str) -> None:
    """Put `section` (which begins with start_mark and ends with end_mark) in place of the old one, or at the end."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n\n"
    if start_mark in text:
        head, rest = text.split(start_mark, 1)
        text = head + section + rest.split(end_mark, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")
