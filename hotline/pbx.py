"""The hotline's Asterisk sandbox: telephony's PbxSandbox fed with the line catalogue's queues."""
from __future__ import annotations

import os
from pathlib import Path

from hotline.callback.config import CallbackConfigError, load_config as load_callback_config
from hotline.core.config import Settings
from hotline.core.lines import LineCatalogue, LinesError, load_lines
from telephony.pbx import PbxConfigError, PbxSandbox

LINE_FILES = ("queues.conf", "extensions.conf")   # what a line edit changes (members, servicelevel, max wait)


def queue_entries(settings: Settings, lines: LineCatalogue) -> list[dict]:
    """The renderer's queue list: the catalogue's lines, and on those that offer 预约回拨 the periodic offer and
    the key-1 exit (config/callback.yaml). A line edit re-renders through here too, so it keeps the offer."""
    try:
        callback = load_callback_config(settings.callback_file, lines.names)
    except CallbackConfigError as exc:
        raise PbxConfigError(str(exc)) from None
    return [q | {"callback_offer_every": callback.offer_every_seconds if callback.offers(q["name"]) else 0,
                 "callback_offer_first": callback.offer_first_after_seconds} for q in lines.pbx_queues()]


def _catalogue(settings: Settings) -> LineCatalogue:
    try:
        return load_lines(settings.queues_file)
    except LinesError as exc:
        raise PbxConfigError(str(exc)) from None


def catalogue_queues(settings: Settings):
    """A loader of the queue list for the renderer; a bad catalogue is a PbxConfigError naming the file."""
    return lambda: queue_entries(settings, _catalogue(settings))


def catalogue_partners(settings: Settings):
    """A loader of the partner destinations (config/partners.yaml) for the renderer."""
    return lambda: _catalogue(settings).pbx_partners()


def sandbox(settings: Settings | None = None) -> PbxSandbox:
    settings = settings or Settings()
    return PbxSandbox(settings, catalogue_queues(settings), partners=catalogue_partners(settings))


def write_line_config(settings: Settings, lines: LineCatalogue) -> Path | None:
    """Re-render the files a line edit changes into the running instance's etc/ (atomically, 0600), so a
    QueueReload and the next Asterisk start read the edited lines. None when this host has no instance
    directory (the PBX runs elsewhere: `hotline pbx up` there renders from the same queues.yaml)."""
    box = PbxSandbox(settings, lambda: queue_entries(settings, lines), partners=lines.pbx_partners)
    etc = box.host_dir / "etc"
    if not etc.is_dir():
        return None
    rendered = box.render_config()
    for name in LINE_FILES:
        tmp = etc / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
            out.write(rendered[name])
        tmp.replace(etc / name)
    return etc
