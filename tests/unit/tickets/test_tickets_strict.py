"""Strict tickets (issue 10 item 4): nulls, wrong types and oversize values refused with the field name;
system values clipped; a compact, capped audit trail; stored tickets repaired field by field."""
import json

import pytest
from pydantic import ValidationError

from hotline.tickets import model
from hotline.tickets.model import Ticket, TicketChanges, Transcript
from hotline.tickets.repair import repair

FIELDS = ("summary", "address", "notes", "category", "request_type", "urgency", "location_hints", "status")


def ticket(**extra) -> Ticket:
    return Ticket(id="T1", call_id="c-1", created_at=1.0, updated_at=1.0, **extra)


@pytest.mark.parametrize("field", FIELDS)
def test_changes_refuse_explicit_null_naming_the_field(field):
    with pytest.raises(ValidationError) as caught:
        TicketChanges.model_validate({field: None})
    assert caught.value.errors()[0]["loc"] == (field,) and "null" in str(caught.value)


@pytest.mark.parametrize("changes", [{"summary": 5}, {"notes": ["x"]}, {"location_hints": "阳光花园"},
                                     {"location_hints": [1]}, {"status": True}, {"address": {"a": 1}}])
def test_changes_refuse_wrong_types(changes):
    with pytest.raises(ValidationError) as caught:
        TicketChanges.model_validate(changes)
    assert caught.value.errors()[0]["loc"][0] == next(iter(changes))


@pytest.mark.parametrize("changes", [{"location_hints": ["x" * 1_000_000] * 10}, {"location_hints": ["a"] * 11},
                                     {"summary": "x" * (model.SUMMARY_MAX + 1)}, {"address": "x" * 201}])
def test_changes_refuse_oversize_values(changes):
    with pytest.raises(ValidationError):
        TicketChanges.model_validate(changes)


def test_ticket_validates_on_assignment():
    t = ticket()
    for field, bad in (("category", None), ("summary", None), ("location_hints", None), ("urgency", 3),
                       ("location_hints", ["x"] * 11), ("notes", "x" * (model.NOTES_MAX + 1))):
        with pytest.raises(ValidationError):
            setattr(t, field, bad)
    assert t.category == "" and t.location_hints == []


def test_every_string_and_list_has_a_size_in_the_schema():
    def unbounded(schema, defs, path=""):
        found = []
        schema = defs.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
        for option in schema.get("anyOf", []):
            found += unbounded(option, defs, path)
        kind = schema.get("type")
        if kind == "string" and "maxLength" not in schema and "enum" not in schema and "const" not in schema:
            found.append(path)
        if kind == "array":
            found += [path] if "maxItems" not in schema else []
            found += unbounded(schema.get("items", {}), defs, path + "[]")
        if kind == "object" and "additionalProperties" in schema and "maxProperties" not in schema:
            found.append(path)
        for name, prop in schema.get("properties", {}).items():
            found += unbounded(prop, defs, f"{path}.{name}")
        return found
    schema = Ticket.model_json_schema()
    assert unbounded(schema, schema.get("$defs", {})) == []


def test_transcript_from_engine_clips_to_the_schema():
    t = Transcript.from_engine({"text": "字" * 20_000, "pinyin": "a " * 20_000, "engine": "e" * 500,
                                "keywords": [{"word": "暖气" * 100, "pinyin": "x", "start": 1}] * 500 + ["词"]})
    assert len(t.text) == model.TEXT_MAX and len(t.pinyin) == model.PINYIN_MAX
    assert len(t.keywords) == model.KEYWORDS_MAX and len(t.keywords[0].word) == model.WORD_MAX


def test_audit_keeps_names_and_short_values_and_is_capped():
    t = ticket()
    t.record("agent1", "edited", {"location_hints": ["x" * 100] * 10, "summary": "y" * 2000})
    changes = t.audit[-1].changes
    assert set(changes) == {"location_hints", "summary"}
    assert len(json.dumps(changes)) < 1000 and changes["location_hints"][-1] == "…(+5)"
    for n in range(model.AUDIT_MAX + 50):
        t.record("agent1", "edited", {"notes": str(n)})
    assert len(t.audit) == model.AUDIT_MAX and t.audit[0].changes["location_hints"]
    assert t.audit[-1].changes == {"notes": str(model.AUDIT_MAX + 49)} and t.audit_dropped == 51


def test_repair_fixes_nulls_wrong_types_and_oversize_values():
    stored = json.loads(ticket(summary="路灯", category="路灯照明").model_dump_json())
    stored.update(category=None, urgency=7, location_hints=["x" * 1_000_000] * 12, notes=None, id="other")
    stored["transcript"]["status"] = "bogus"
    stored["audit"] = [{"t": 1.0, "who": "a", "action": "edited", "changes": {"location_hints": ["x" * 1_000_000]}},
                       {"who": "half an entry"}]
    fixed, problems = repair(json.dumps(stored), "T1")
    assert fixed is not None and fixed.id == "T1" and fixed.summary == "路灯"
    assert (fixed.category, fixed.urgency, fixed.notes, fixed.transcript.status) == ("", "normal", "", "pending")
    assert len(fixed.location_hints) == 10 and all(len(h) == model.HINT_MAX for h in fixed.location_hints)
    assert len(fixed.audit) == 1 and len(fixed.model_dump_json()) < 5000
    assert any(p.startswith("category") for p in problems) and any(p.startswith("id") for p in problems)


def test_repair_gives_up_on_what_is_not_a_ticket():
    assert repair("not json", "T1") == (None, ["not JSON"])
    assert repair("[1]", "T1")[0] is None
    assert repair(json.dumps({"id": "T1", "created_at": 1, "updated_at": 1}), "T1")[0] is None  # no call id
    assert repair(ticket().model_dump_json(), "T1") == (ticket(), [])
