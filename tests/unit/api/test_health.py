"""GET /healthz from the runtime's AMI and Redis state (fakes: this is about the route's logic)."""
from types import SimpleNamespace

import httpx
import pytest

from hotline.api.app import create_app


class FakeRedis:
    def __init__(self, failures: int):
        self.failures = failures

    async def ping(self):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection reset")
        return True


async def get_health(runtime):
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/healthz")


@pytest.mark.parametrize("ami, redis_failures, code", [(True, 0, 200), (False, 0, 503), (True, 2, 503),
                                                       (True, 1, 200)])
async def test_healthz(ami, redis_failures, code):
    runtime = SimpleNamespace(ami=SimpleNamespace(connected=ami), redis=FakeRedis(redis_failures))
    response = await get_health(runtime)
    assert response.status_code == code
    body = response.json()
    assert body["ami"]["connected"] is ami
    assert body["status"] == ("ok" if code == 200 else "degraded")


async def test_healthz_without_runtime_is_degraded():
    response = await get_health(None)
    assert response.status_code == 503 and response.json()["redis"]["connected"] is False
