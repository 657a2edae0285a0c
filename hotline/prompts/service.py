"""The prompt service the page (hotline.prompts.http) and the CLI (`hotline prompts …`) share: list, upload,
re-synthesise, reset — each change audited (text, source, duration, sha256 before and after; never audio).

The disk work (sox, espeak-ng) runs in a thread; Redis is checked before a change so that no change is made
that the audit trail could not record.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.admin import audit
from hotline.core.config import Settings
from hotline.prompts.store import PromptStore

AUDITED = ("text", "source", "duration", "sha256")


def prompt_names(settings: Settings) -> set[str]:
    """Every prompt name a menu may use: prompts.yaml's defaults and every prompt file in place (uploaded or
    re-synthesised ones included). A menu naming anything else cannot be published."""
    return PromptStore(settings).names()


def _audited(info: dict) -> dict:
    return {k: info.get(k) for k in AUDITED}


class PromptService:
    def __init__(self, settings: Settings, redis, store: PromptStore | None = None):
        self.redis = redis
        self.store = store or PromptStore(settings)

    async def list(self) -> list[dict]:
        return await asyncio.to_thread(self.store.list)

    def audio_path(self, name: str) -> Path:
        return self.store.path(name)

    async def _change(self, actor: audit.Actor, action: str, name: str, work, note: str = "") -> dict:
        await self.redis.ping()   # the audit must be able to record the change before it is made
        before = await asyncio.to_thread(self.store.info, name)
        changed = await asyncio.to_thread(work)
        after = await asyncio.to_thread(self.store.info, name)
        if changed is not False:
            await audit.record(self.redis, actor, action, f"prompt:{name}", _audited(before), _audited(after), note)
        return after

    async def upload(self, name: str, recording: Path, actor: audit.Actor, note: str = "") -> dict:
        """Install a recording (any format sox reads) as prompt `name`; refused (PromptRefused) unchanged."""
        return await self._change(actor, "prompt.upload", name,
                                  lambda: self.store.upload(name, recording, by=actor.username), note)

    async def synthesise(self, name: str, text: str, actor: audit.Actor, note: str = "") -> dict:
        """Prompt `name` re-synthesised from `text` by the built-in Mandarin TTS."""
        return await self._change(actor, "prompt.tts", name,
                                  lambda: self.store.synthesise(name, text, by=actor.username), note)

    async def reset(self, name: str, actor: audit.Actor, note: str = "") -> dict:
        """Back to the default; nothing is recorded when it already plays its default."""
        return await self._change(actor, "prompt.reset", name, lambda: self.store.reset(name), note)
