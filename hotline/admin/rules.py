"""Overflow rules and staffing targets edited by admins: validated by the overflow.yaml model, stored as a new
version, applied to the running supervision feature at once (no restart) and audited."""
from __future__ import annotations

from typing import Any

from hotline.admin import audit
from hotline.supervision import rules_store
from hotline.supervision.service import SupervisionService


def check(supervision: SupervisionService, document: Any) -> list[dict]:
    """Every problem of an edited rules document, with its path; [] when it can be saved."""
    try:
        rules_store.overlay(supervision.base_config, document, list(supervision.labels))
    except rules_store.RulesInvalid as exc:
        return exc.errors
    return []


async def save(redis, supervision: SupervisionService, document: Any, actor: audit.Actor, note: str = "") -> int:
    """RulesInvalid when the document breaks the schema; otherwise stored, applied and audited."""
    config = rules_store.overlay(supervision.base_config, document, list(supervision.labels))
    before, after = rules_store.editable(supervision.config), rules_store.editable(config)
    version = await rules_store.save(redis, after, author=actor.username, note=note)
    await supervision.apply_config(config, version)
    await audit.record(redis, actor, "rules.update", f"overflow-rules:{version}", before, after, note)
    return version
