"""The hotline's Asterisk sandbox: telephony's PbxSandbox fed with the line catalogue's queues."""
from __future__ import annotations

from hotline.core.config import Settings
from hotline.core.lines import LinesError, load_lines
from telephony.pbx import PbxConfigError, PbxSandbox


def catalogue_queues(settings: Settings):
    """A loader of the queue list for the renderer; a bad catalogue is a PbxConfigError naming the file."""
    def queues() -> list[dict]:
        try:
            return load_lines(settings.queues_file).pbx_queues()
        except LinesError as exc:
            raise PbxConfigError(str(exc)) from None
    return queues


def catalogue_partners(settings: Settings):
    """A loader of the partner destinations (config/partners.yaml) for the renderer."""
    def partners() -> list[dict]:
        try:
            return load_lines(settings.queues_file).pbx_partners()
        except LinesError as exc:
            raise PbxConfigError(str(exc)) from None
    return partners


def sandbox(settings: Settings | None = None) -> PbxSandbox:
    settings = settings or Settings()
    return PbxSandbox(settings, catalogue_queues(settings), partners=catalogue_partners(settings))
