"""Process entry for `hotline asr worker`: per ASR pass, N worker processes, each with its own engine and
consumer name (consumer names are per group, so passes may share them)."""
from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal

from hotline.core.logging import setup_logging
from hotline.tickets.worker import default_consumer, run_worker

_PR_SET_PDEATHSIG = 1
# the 汉字 pass yields the CPU to the fast pass (and the controller): measured in a burst on 2 cores, the keyword
# pass otherwise waited behind Whisper (p50 15.7 s → 52.7 s); the 汉字 text comes a little later instead
NICENESS = {"fast": 0, "hanzi": 10}


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when the parent dies (even by SIGKILL), so no worker outlives `hotline asr
    worker`; it then finishes its current job and exits. Elsewhere a no-op."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _process_main(settings, consumer: str, claim_idle: float, pass_name: str, parent: int | None = None,
                  max_attempts: int = 3) -> None:
    if parent is not None:
        _die_with_parent()
        if os.getppid() != parent:   # the parent died before the line above (a kill -9 right after start)
            return
    os.nice(NICENESS.get(pass_name, 0))
    setup_logging()
    asyncio.run(run_worker(settings, consumer, claim_idle, pass_name, max_attempts))


def run_processes(settings, consumer: str | None, processes: int, claim_idle: float,
                  passes: list[str] | None = None, max_attempts: int = 3) -> None:
    base = consumer or default_consumer()
    passes = list(dict.fromkeys(passes or settings.asr_passes))
    jobs = [(name, base if processes == 1 else f"{base}-{i}") for name in passes for i in range(processes)]
    if len(jobs) == 1:
        _process_main(settings, jobs[0][1], claim_idle, jobs[0][0], None, max_attempts)
        return
    # spawn: each child imports onnxruntime/ctranslate2 fresh instead of inheriting a forked, threaded runtime
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_process_main,
                                args=(settings, name, claim_idle, pass_name, os.getpid(), max_attempts),
                                name=f"asr-{pass_name}-{name}") for pass_name, name in jobs]
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
