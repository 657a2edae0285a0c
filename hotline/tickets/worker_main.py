"""Process entry for `hotline asr worker`: N worker processes, each with its own engine and consumer name."""
from __future__ import annotations

import asyncio
import multiprocessing
import signal

from hotline.core.logging import setup_logging
from hotline.tickets.worker import default_consumer, run_worker


def _process_main(settings, consumer: str, claim_idle: float, max_attempts: int = 3) -> None:
    setup_logging()
    asyncio.run(run_worker(settings, consumer, claim_idle, max_attempts))


def run_processes(settings, consumer: str | None, processes: int, claim_idle: float, max_attempts: int = 3) -> None:
    base = consumer or default_consumer()
    if processes == 1:
        _process_main(settings, base, claim_idle, max_attempts)
        return
    # spawn: each child imports onnxruntime fresh instead of inheriting a forked, threaded runtime
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_process_main, args=(settings, f"{base}-{i}", claim_idle, max_attempts), name=f"asr-{i}")
                for i in range(processes)]
    for child in children:
        child.start()

    def forward(signum, _frame):
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: each finishes its current job, then exits
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.join()
