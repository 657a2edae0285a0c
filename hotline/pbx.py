"""The hotline's Asterisk sandbox: telephony's PbxSandbox fed with the line catalogue's queues."""
from __future__ import annotations

from hotline.callback.config import CallbackConfigError, load_config as load_callback_config
from hotline.core.config import Settings
from hotline.core.lines import LinesError, load_lines
from telephony.pbx import PbxConfigError, PbxSandbox


def catalogue_queues(settings: Settings):
    """A loader of the queue list for the renderer; a bad catalogue is a PbxConfigError naming the file."""
    def queues() -> list[dict]:
        try:
            lines = load_lines(settings.queues_file)
            callback = load_callback_config(settings.callback_file, lines.names)
        except (LinesError, CallbackConfigError) as exc:
            raise PbxConfigError(str(exc)) from None
        # lines that offer 预约回拨 get the periodic offer and the key-1 exit (config/callback.yaml)
        offers = callback.offers
        return [q | {"callback_offer_every": callback.offer_every_seconds if offers(q["name"]) else 0,
                     "callback_offer_first": callback.offer_first_after_seconds} for q in lines.pbx_queues()]
    return queues


def sandbox(settings: Settings | None = None) -> PbxSandbox:
    settings = settings or Settings()
    return PbxSandbox(settings, catalogue_queues(settings))
