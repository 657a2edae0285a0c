"""The AMI manager against the real sandboxed Asterisk 22."""
import asyncio

import pytest

from ivr.service import write_heartbeat
from telephony.ami.errors import AmiActionError, AmiLoginError
from telephony.ami.manager import AmiManager

pytestmark = pytest.mark.integration


def new_manager(settings, secret=None) -> AmiManager:
    return AmiManager(settings.ami_host, settings.ami_port, settings.ami_user, secret or settings.ami_secret,
                      ping_interval=1.0, action_timeout=5.0, reconnect_backoff=(0.2, 2.0))


@pytest.fixture
async def ami(settings, pbx):
    manager = new_manager(settings)
    await manager.connect()
    yield manager
    await manager.close()


async def test_login_and_action_round_trip(ami):
    settings = await ami.send_action("CoreSettings")
    assert settings["AsteriskVersion"].startswith("22")
    assert (await ami.send_action("Ping"))["Ping"] == "Pong"
    with pytest.raises(AmiActionError):
        await ami.send_action("NoSuchActionAtAll")


async def test_bad_secret_is_refused(settings, pbx):
    with pytest.raises(AmiLoginError):
        await new_manager(settings, secret="not-the-secret").connect()


async def test_event_list_and_globals(ami):
    await ami.send_action("Setvar", Variable="HOTLINE_TEST", Value="值 with: colon")
    assert (await ami.send_action("Getvar", Variable="HOTLINE_TEST"))["Value"] == "值 with: colon"
    channels = await ami.send_action_list("CoreShowChannels")
    assert isinstance(channels, list)


@pytest.mark.parametrize("action,fields", [
    ("GetConfig", {"Filename": "manager.conf"}),  # would hand out the AMI secret
    ("Command", {"Command": "core show settings"}),
    ("DBPut", {"Family": "hotline", "Key": "x", "Val": "1"}),
    # `originate` is granted (预约回拨, 回访); an application that runs commands still needs `system`
    ("Originate", {"Channel": "Local/600@from-agents", "Application": "System", "Data": "id"}),
    ("ModuleLoad", {"LoadType": "unload", "Module": "app_queue.so"}),
])
async def test_the_controllers_ami_user_has_least_privilege(ami, action, fields):
    """Issue 10: `system` let the controller's user read manager.conf (with the secret) through GetConfig."""
    with pytest.raises(AmiActionError, match="Permission denied|Originate Access Forbidden"):
        await ami.send_action(action, **fields)


async def test_events_of_a_real_sipp_call(ami, settings, sipp):
    seen: dict[str, list] = {"Newchannel": [], "Hangup": []}
    ami.on_event(["Newchannel", "Hangup"], lambda m: seen[m.name].append(m))
    # stale heartbeat: the dialplan falls back on its own, answers and sets HOTLINE_ROUTE=general
    await write_heartbeat(ami, 0)
    call = await sipp.caller(settings.hotline_number, answer_pause=0, hold=0.5).arun(timeout=30)
    assert call.answered and call.exit_code == 0
    for _ in range(100):
        if seen["Hangup"]:
            break
        await asyncio.sleep(0.05)
    caller = [m for m in seen["Newchannel"] if m["Exten"] == settings.hotline_number]
    assert caller and caller[0]["Channel"].startswith("PJSIP/callers-")
    hangup = next(m for m in seen["Hangup"] if m["Channel"] == caller[0]["Channel"])
    assert hangup.chanvars.get("HOTLINE_ROUTE") == "general"


async def test_reconnect_after_pbx_restart(ami, pbx):
    logins, drops = [], []

    async def resync():
        logins.append((await ami.send_action("CoreSettings"))["AsteriskVersion"])
    ami.on_connect(resync)
    ami.on_disconnect(lambda: drops.append(1))
    await asyncio.to_thread(pbx.restart)
    for _ in range(300):
        if logins:
            break
        await asyncio.sleep(0.1)
    assert drops == [1] and logins and logins[0].startswith("22")
    assert ami.connected and (await ami.send_action("Ping"))["Ping"] == "Pong"
