"""Supervision unit fixtures: a webhook receiver (Redis and the fake AMI server: tests/unit/conftest.py)."""
from __future__ import annotations

import pytest

from helpers import WebhookReceiver


@pytest.fixture
def webhook_receiver():
    """Alerts POSTed here; the first one is answered HTTP 500, so the sender has to retry it."""
    with WebhookReceiver(fail_first=1).start() as receiver:
        yield receiver
