"""The real controller process (`hotline serve`) for integration tests that place calls through it."""
from __future__ import annotations

import os
import signal
import time

import pytest

from hotline.commands.controller import Controller


class TestController(Controller):
    """Controller with a crash button: SIGKILL, like a controller that dies mid-call."""

    def kill(self) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while self.pid() is not None and time.monotonic() < deadline:
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def ensure_running(self) -> "TestController":
        self.start(timeout=60)
        return self


@pytest.fixture(scope="session")
def controller_process(settings, pbx, redis_server):
    controller = TestController(settings)
    started = controller.start(timeout=60)
    yield controller
    if started:
        controller.stop()


@pytest.fixture
def no_controller(controller_process):
    """For tests that play the controller's part themselves: a running controller would answer too."""
    controller_process.stop()


@pytest.fixture
def controller(controller_process):
    """The running controller (restarted if an earlier test killed it)."""
    return controller_process.ensure_running()
