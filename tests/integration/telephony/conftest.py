"""These tests drive Asterisk themselves (their own AMI/AsyncAGI sessions, the dialplan's fallback):
the shared controller must not take their calls."""
import pytest


@pytest.fixture(autouse=True)
def _without_controller(no_controller):
    return None
