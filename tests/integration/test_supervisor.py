"""`hotline up`'s supervisor: a controller or ASR worker that dies (kill -9) is started again, the restart is
counted in `hotline status` and in /metrics, and `hotline down` leaves nothing behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from hotline.commands.controller import AsrWorkers, Controller, SupervisorProcess
from hotline.core.processes import read_state

from helpers import eventually


def status_output() -> str:
    done = subprocess.run([sys.executable, "-m", "hotline.cli", "status"], capture_output=True, text=True,
                          timeout=60, env=os.environ.copy())
    return done.stdout


async def test_dead_processes_come_back_and_are_counted(settings, pbx, redis_server, no_controller):
    supervisor = SupervisorProcess(settings)
    controller, workers = Controller(settings), AsrWorkers(settings)
    try:
        supervisor.start(timeout=90)
        first_controller, first_worker = controller.pid(), workers.pid()
        assert first_controller and first_worker
        os.kill(first_controller, signal.SIGKILL)
        os.kill(first_worker, signal.SIGKILL)
        await eventually(lambda: controller.ready() and controller.pid() not in (None, first_controller), 60,
                         "controller restarted and healthy")
        await eventually(lambda: workers.pid() not in (None, first_worker), 30, "ASR worker restarted")
        state = read_state(settings.state_dir)
        assert state["controller"]["restarts"] == 1 and state["asr-worker"]["restarts"] == 1
        assert state["controller"]["last_exit"] == -signal.SIGKILL
        metrics = httpx.get(f"http://{settings.http_host}:{settings.http_port}/metrics", timeout=10).text
        assert 'hotline_process_restarts_total{process="controller"} 1.0' in metrics
        assert "restarts so far: controller 1, asr-worker 1" in status_output()
    finally:
        assert supervisor.stop(grace=30)
    time.sleep(0.5)
    assert controller.pid() is None and workers.pid() is None, "the supervisor stops what it runs"
