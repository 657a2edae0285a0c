"""Render the sandbox's Asterisk configuration from Jinja2 templates (config/asterisk/*.j2)."""
from __future__ import annotations

import math
import os
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import jinja2

INSTANCE_SUBDIRS = ("etc", "spool", "run", "log", "lib", "lib/cache", "recordings", "sounds", "sounds/moh")
PRIVATE_SUBDIRS = ("etc", "spool", "log", "lib", "recordings")  # 0700: config secrets, queue_log, astdb, voices


class PbxConfigError(ValueError):
    """A template or data file is wrong; the message names it."""


@dataclass(frozen=True)
class Agent:
    name: str  # PJSIP endpoint, e.g. agent3
    number: int
    phone_port: int  # where the agent's phone (a SIPp UAS in the sandbox) listens


def agents_for(settings) -> list[Agent]:
    return [Agent(f"agent{n}", n, settings.agent_phone_base_port + n) for n in range(1, settings.agent_count + 1)]


def module_dir(root: Path) -> str:
    """Asterisk's module directory as seen inside the root (multiarch path differs per architecture)."""
    found = sorted(root.glob("usr/lib/*/asterisk/modules")) or sorted(root.glob("usr/lib/asterisk/modules"))
    return "/" + str(found[0].relative_to(root)) if found else "/usr/lib/asterisk/modules"


def render_config(settings, template_dir: Path, queues: list[dict],
                  partners: list[dict] | None = None) -> dict[str, str]:
    """Every `<name>.conf.j2` in template_dir rendered to `<name>.conf` text.

    `queues`: plain data from the application (name, label, asterisk_queue, members, max_wait_seconds,
    service_level_seconds per queue); telephony renders them and knows nothing of what they mean.
    `partners`: destinations calls may be transferred to (name, endpoint or None, dial, index, code,
    ring_timeout_seconds); an endpoint is rendered as a phone on partner_phone_base_port + index."""
    if not queues:
        raise PbxConfigError("no queues to render: the application passes its queue list to the renderer")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    context = {
        "s": settings,
        "queues": queues,
        "partners": partners or [],
        "agents": agents_for(settings),
        "watchdog_seconds": settings.pickup_watchdog_seconds,
        "inst": str(settings.pbx_instance_dir),
        "moddir": module_dir(settings.pbx_root),
    }
    rendered = {}
    for template in sorted(template_dir.glob("*.conf.j2")):
        try:
            rendered[template.name[:-3]] = env.get_template(template.name).render(**context)
        except jinja2.TemplateError as exc:
            raise PbxConfigError(f"{template}: {exc}") from exc
    return rendered


def write_moh_tone(path: Path) -> None:
    """A quiet two-tone chime as hold music: the stock root ships no MoH files."""
    if path.exists():
        return
    rate, frames = 8000, bytearray()
    for i in range(rate * 4):
        t = i / rate
        tone = 523.0 if (t % 2) < 0.5 else (659.0 if (t % 2) < 1.0 else 0.0)
        frames += struct.pack("<h", int(3000 * math.sin(2 * math.pi * tone * t)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


def write_config(settings, template_dir: Path, queues: list[dict], host_dir: Path | None = None,
                 partners: list[dict] | None = None) -> Path:
    """Create the instance's directories (inside the root, or `host_dir`) and write its configuration.
    Returns etc/."""
    host_dir = host_dir or settings.host_path(settings.pbx_instance_dir)
    for sub in INSTANCE_SUBDIRS:
        (host_dir / sub).mkdir(parents=True, exist_ok=True)
        if sub in PRIVATE_SUBDIRS:  # secrets, callers' voices and numbers: Asterisk's (root's) only
            (host_dir / sub).chmod(0o700)
    etc = host_dir / "etc"
    for name, text in render_config(settings, template_dir, queues, partners).items():
        tmp = etc / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as out:
            out.write(text)  # 0600 from the first byte: manager.conf holds the AMI secret
        tmp.replace(etc / name)
    write_moh_tone(host_dir / "sounds" / "moh" / "chime.wav")
    return etc
