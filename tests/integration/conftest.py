"""The real controller process (`hotline serve`) for integration tests that place calls through it
(headless Chromium for its web pages: `chromium` in tests/conftest.py)."""
from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from unittest import mock

import pytest

from hotline.commands.controller import Controller

# The end-of-call survey keeps every caller whose agent hangs up first ~12 s longer: the controllers these tests
# start run without it, but for the survey's own tests (tests/integration/survey, through controller_with_env)
os.environ.setdefault("HOTLINE_SURVEY_ENABLED", "false")


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
    """This instance's controller; started on first use by `controller`, stopped at the end if it was not
    running before the session."""
    controller = TestController(settings)
    was_running = controller.pid() is not None
    yield controller
    if not was_running:
        controller.stop()


@pytest.fixture
def no_controller(controller_process):
    """For tests that play the controller's part themselves: a running controller would answer too."""
    controller_process.stop()


@pytest.fixture
def controller(controller_process):
    """The running controller (restarted if an earlier test killed it)."""
    return controller_process.ensure_running()


@pytest.fixture(scope="session")
def controller_with_env(controller_process):
    """`with controller_with_env(HOTLINE_X="..."):` the shared controller restarted with extra environment
    (it reads its settings and config files at start); afterwards it runs again as before, or stays stopped."""
    @contextmanager
    def restarted(**env: str):
        was_running = controller_process.pid() is not None
        controller_process.stop()
        try:
            with mock.patch.dict(os.environ, env):   # the child copies os.environ when it starts
                controller_process.start(timeout=60)
            yield controller_process
        finally:
            controller_process.stop()
            if was_running:
                controller_process.start(timeout=60)
    return restarted
