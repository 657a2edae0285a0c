import pytest

from telephony.ami.manager import AmiManager


@pytest.fixture
async def manager(fake_ami):
    ami = AmiManager("127.0.0.1", fake_ami.port, "hotline", "s3cret", ping_interval=0.2,
                     action_timeout=0.5, reconnect_backoff=(0.01, 0.05))
    yield ami
    await ami.close()
