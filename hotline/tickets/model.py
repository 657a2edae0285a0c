"""Draft ticket (工单草稿) shape and the edits an agent may make to one.

Every string and list has a size in the schema (the constants below), so one request can never grow a
ticket, its audit trail or an agent's screen-pop stream without bound. Values the system produces
(transcripts, classifier output) are clipped to those sizes before they are stored; an agent's edit
that is too long, null or of the wrong type is refused with the field's name.
"""
from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.tickets.taxonomy import default_taxonomy

# failed: the job raised (retried, then dead-lettered); no_recording: the caller left no description
TranscriptStatus = Literal["pending", "done", "unavailable", "no_speech", "error", "failed", "no_recording"]
RETRYABLE = ("pending", "failed")  # transcript states an ASR job still has to settle
TicketStatus = Literal["draft", "claimed", "submitted", "dispatched"]
FINAL_STATUSES = ("submitted", "dispatched")  # no more edits, no late re-classification
# how the request came in: through the voice menu, taken by the dialplan alone (controller away), or from a
# call the controller stopped handling between the menu and the ticket (reconciled afterwards)
Intake = Literal["menu", "without_menu", "interrupted"]
REPEAT_LABEL = "群众多次投诉问题"
# fields the classifier fills; once an agent edits one, a late transcript no longer overwrites it
CLASSIFIED_FIELDS = ("category", "request_type", "urgency", "location_hints")
# sizes (characters / items)
ID_MAX, NAME_MAX, LABEL_MAX, PATH_MAX = 64, 64, 40, 1024
SUMMARY_MAX, NOTES_MAX, ADDRESS_MAX = 2000, 2000, 200
HINT_MAX, HINTS_MAX, WORD_MAX, MATCHED_MAX = 100, 10, 60, 50
TEXT_MAX, PINYIN_MAX, KEYWORDS_MAX, ERROR_MAX = 8000, 16000, 200, 500
REPEAT_IDS_MAX, AUDIT_MAX, AUDIT_VALUE_MAX, AUDIT_FIELDS_MAX = 50, 100, 80, 20
TOKENS_MAX = 2000  # words of a 120 s description, with room

STRICT = ConfigDict(extra="ignore", validate_assignment=True, strict=True)


def Text(n: int):  # noqa: N802 - reads as a type: Text(200)
    return Annotated[str, Field(max_length=n)]


def clip(value: Any, n: int) -> str:
    """A system-made value cut to fit its field (agents' values are refused instead)."""
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[:n - 1] + "…"


def _compact(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        items = [clip(v, AUDIT_VALUE_MAX) for v in value[:5]]
        return items + ([f"…(+{len(value) - 5})"] if len(value) > 5 else [])
    return clip(value, AUDIT_VALUE_MAX)


def compact_changes(changes: dict | None) -> dict:
    """What the audit trail keeps of a change: the field names and short previews of the new values."""
    return {clip(k, LABEL_MAX): _compact(v) for k, v in list((changes or {}).items())[:AUDIT_FIELDS_MAX]}


class Keyword(BaseModel):
    model_config = STRICT
    word: Text(WORD_MAX)
    pinyin: Text(200) = ""
    start: float | None = None


class Token(BaseModel):
    model_config = STRICT
    text: Text(WORD_MAX) = ""
    start: float | None = None
    end: float | None = None
    probability: float | None = None


class Transcript(BaseModel):
    model_config = STRICT

    status: TranscriptStatus = "pending"
    text: Text(TEXT_MAX) = ""
    pinyin: Text(PINYIN_MAX) | None = None
    engine: Text(NAME_MAX) | None = None
    model: Text(200) | None = None
    confidence: float | None = None
    keywords: Annotated[list[Keyword], Field(max_length=KEYWORDS_MAX)] = []
    # words with times (and, from Whisper, a probability: the console marks the unsure ones)
    tokens: Annotated[list[Token], Field(max_length=TOKENS_MAX)] = []
    audio_seconds: float | None = None
    processing_seconds: float | None = None
    error: Text(ERROR_MAX) | None = None

    @classmethod
    def from_engine(cls, data: dict) -> "Transcript":
        """Accept an `asr` Transcript.to_dict() (plus optional status/error), clipped to the schema's sizes."""
        status = data.get("status") or ("no_speech" if data.get("no_speech") else "done")
        keywords = [_keyword(k) for k in (data.get("keywords") or [])[:KEYWORDS_MAX]]
        sizes = {"text": TEXT_MAX, "pinyin": PINYIN_MAX, "engine": NAME_MAX, "model": 200, "error": ERROR_MAX}
        texts = {k: clip(data.get(k), n) if data.get(k) is not None else None for k, n in sizes.items()}
        numbers = {k: _number(data.get(k)) for k in ("confidence", "audio_seconds", "processing_seconds")}
        tokens = [_token(t) for t in (data.get("tokens") or [])[:TOKENS_MAX] if isinstance(t, dict)]
        return cls.model_validate({**texts, "text": texts["text"] or "", "status": status, "tokens": tokens,
                                   "keywords": [k for k in keywords if k["word"]], **numbers}, strict=False)

    @property
    def keyword_words(self) -> list[str]:
        return [k.word for k in self.keywords if k.word]


def _keyword(k) -> dict:
    if not isinstance(k, dict):
        return {"word": clip(k, WORD_MAX)}
    return {"word": clip(k.get("word"), WORD_MAX), "pinyin": clip(k.get("pinyin"), 200), "start": _number(k.get("start"))}


def _token(t: dict) -> dict:
    """A word with its times (and Whisper's probability), cut to fit."""
    return {"text": clip(t.get("text"), WORD_MAX), "start": _number(t.get("start")), "end": _number(t.get("end")),
            "probability": _number(t.get("probability"))}


def _number(value) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


HANDLERS_MAX = 20
IdList = Annotated[list[Text(ID_MAX)], Field(max_length=REPEAT_IDS_MAX)]


class Repeat(BaseModel):
    model_config = STRICT
    same_caller_ticket_ids: IdList = []
    same_issue_ticket_ids: IdList = []
    label: Text(LABEL_MAX) | None = None


# --- opening hours (hotline/hours): the caller pressed a line's key while it was closed -------------------
class AfterHours(BaseModel):
    model_config = STRICT
    line: Text(LABEL_MAX)          # the line the caller chose (the ticket's `line` is where the call went)
    callback: bool = False         # the caller left a description to be called back during opening hours


AuditValue = bool | int | float | Text(AUDIT_VALUE_MAX) | Annotated[list[Text(AUDIT_VALUE_MAX)], Field(max_length=6)] | None


class AuditEntry(BaseModel):
    model_config = STRICT
    t: float
    who: Text(NAME_MAX)
    action: Text(LABEL_MAX)
    changes: Annotated[dict[Text(LABEL_MAX), AuditValue], Field(max_length=AUDIT_FIELDS_MAX)] = {}


# -- partner transfers (水电气热 linkage, issue 13) ------------------------------------------------------------
TRANSFERS_MAX = 20
TransferResult = Literal["pending", "answered", "no_answer", "returned", "cancelled"]


class TransferRecord(BaseModel):
    """Who sent the caller to which partner, when, how, and what came of it (hotline/partners)."""
    model_config = STRICT
    partner: Text(NAME_MAX)
    label: Text(LABEL_MAX) = ""
    mode: Literal["menu", "blind", "attended"]
    by: Text(NAME_MAX)                    # the agent's phone, or "menu"
    at: float
    result: TransferResult = "pending"
    status: Text(LABEL_MAX) = ""          # Asterisk's DIALSTATUS (NOANSWER, BUSY, CHANUNAVAIL...)
    result_at: float | None = None
# --- satisfaction survey and 回访 (hotline/survey): "1" 满意, "2" 基本满意, "3" 不满意, "none" no key -----
SurveyAnswer = Literal["1", "2", "3", "none"]


class HandlingResult(BaseModel):
    """What the handling department reported (POST /api/tickets/{id}/result)."""
    model_config = STRICT
    text: Text(SUMMARY_MAX)
    handled_by: Text(NAME_MAX)
    reported_by: Text(NAME_MAX)
    at: float


class FollowupState(BaseModel):
    """The 回访 call as the ticket shows it (the schedule itself lives with hotline/survey)."""
    model_config = STRICT
    status: Literal["scheduled", "done", "failed"] = "scheduled"
    tries: int = 0
    answer: SurveyAnswer | None = None
    at: float | None = None


class Ticket(BaseModel):
    model_config = STRICT

    id: Text(ID_MAX)
    call_id: Text(ID_MAX * 2)
    caller: Text(NAME_MAX) = ""
    created_at: float
    updated_at: float
    line: Text(LABEL_MAX) = ""   # a line of the catalogue (hotline.core.lines); "" until the call flow says which
    line_label: Text(LABEL_MAX) = ""
    menu_version: Text(LABEL_MAX) | None = None
    intake: Intake = "menu"
    # the agents' phones that held the call (queue connect, transfers): who may read and work on the ticket
    handlers: Annotated[list[Text(NAME_MAX)], Field(max_length=HANDLERS_MAX)] = []
    started_at: float | None = None
    recording_path: Text(PATH_MAX) | None = None
    # factories, not instances: pydantic deep-copies an instance default for every ticket it builds.
    # transcript: the fast pass, keyword hits and pinyin (hotline/tickets/passes.py); hanzi: the 汉字 pass
    transcript: Transcript = Field(default_factory=Transcript)
    hanzi: Transcript = Field(default_factory=Transcript)
    request_type: Text(LABEL_MAX) = ""
    category: Text(LABEL_MAX) = ""
    category_confidence: float = 0.0
    location_hints: Annotated[list[Text(HINT_MAX)], Field(max_length=HINTS_MAX)] = []
    urgency: Text(LABEL_MAX) = "normal"
    matched: Annotated[list[Text(WORD_MAX)], Field(max_length=MATCHED_MAX)] = []
    repeat: Repeat = Field(default_factory=Repeat)
    status: TicketStatus = "draft"
    agent: Text(NAME_MAX) | None = None
    summary: Text(SUMMARY_MAX) = ""  # the agent's 诉求摘要: written only by the agent
    # one sentence from the transcript and fields, for the agent to accept or edit
    suggested_summary: Text(SUMMARY_MAX) = ""
    address: Text(ADDRESS_MAX) = ""
    notes: Text(NOTES_MAX) = ""
    # --- knowledge base (hotline/kb): the answer given to the caller (答复内容), often copied from an article
    reply: Text(SUMMARY_MAX) = ""
    edited: Annotated[list[Text(LABEL_MAX)], Field(max_length=AUDIT_FIELDS_MAX)] = []
    submitted_at: float | None = None
    # --- satisfaction survey and 回访 (hotline/survey; written through hotline/tickets/satisfaction.py) ---
    survey: SurveyAnswer | None = None        # the caller's key at the end of the call
    survey_at: float | None = None
    result: HandlingResult | None = None      # the handling department's result
    followup: FollowupState | None = None     # the 回访 call and the caller's answer in it
    # --- dispatch (精准派单, hotline/dispatch): the unit the routing rules suggest (re-derived with the
    # classification, config/units.yaml) and the rule that chose it; then the unit the agent dispatched to
    suggested_unit: Text(ID_MAX) = ""
    suggested_unit_name: Text(LABEL_MAX) = ""
    suggested_rule: Text(ID_MAX) = ""
    dispatched_unit: Text(ID_MAX) = ""
    dispatched_unit_name: Text(LABEL_MAX) = ""
    dispatched_by: Text(NAME_MAX) = ""
    dispatched_at: float | None = None
    dispatch_note: Text(NOTES_MAX) = ""
    dispatch_seconds: float | None = None   # call start (started_at, else created_at) → dispatch: the 150 s target
    # --- end dispatch
    audit: Annotated[list[AuditEntry], Field(max_length=AUDIT_MAX)] = []
    audit_dropped: int = 0  # older entries left out to keep the trail within AUDIT_MAX
    # -- partner transfers (issue 13): one record per transfer, newest last --------------------------------
    transfers: Annotated[list[TransferRecord], Field(max_length=TRANSFERS_MAX)] = []
    # --- opening hours (hotline/hours): set when the call came in while its line was closed
    after_hours: AfterHours | None = None
    # --- 预约回拨 (hotline/callback): set by the callback feature through tickets.set_callback ---------------
    # "" no call-back; requested (the caller keeps their place), connected (called back, with an agent),
    # failed (回拨未接通: no answer after every attempt — for a supervisor to follow up)
    callback: Literal["", "requested", "connected", "failed"] = ""
    callback_attempts: int = Field(default=0, ge=0, le=100)

    def record(self, who: str, action: str, changes: dict | None = None) -> None:
        """Append a compact audit entry; past AUDIT_MAX the oldest after 'created' make room."""
        now = time.time()
        self.updated_at = now
        entry = AuditEntry(t=now, who=clip(who, NAME_MAX), action=clip(action, LABEL_MAX),
                           changes=compact_changes(changes))
        audit = [*self.audit, entry]
        if len(audit) > AUDIT_MAX:
            self.audit_dropped += len(audit) - AUDIT_MAX
            audit = audit[:1] + audit[len(audit) - AUDIT_MAX + 1:]
        self.audit = audit


class TicketChanges(BaseModel):
    """What PATCH /api/tickets/{id} accepts. `status: claimed` claims the ticket for the editor.
    Fields left out stay as they are; null, wrong types and oversize values are refused."""
    model_config = ConfigDict(extra="forbid", strict=True)

    summary: Text(SUMMARY_MAX) | None = None
    address: Text(ADDRESS_MAX) | None = None
    notes: Text(NOTES_MAX) | None = None
    reply: Text(SUMMARY_MAX) | None = None
    category: Text(LABEL_MAX) | None = None
    request_type: Text(LABEL_MAX) | None = None
    urgency: Text(LABEL_MAX) | None = None
    location_hints: Annotated[list[Text(HINT_MAX)], Field(max_length=HINTS_MAX)] | None = None
    status: Literal["claimed", "draft"] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value):
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        names = default_taxonomy().category_names
        if value is not None and value not in names:
            raise ValueError(f"unknown category {value!r}; one of {names}")
        return value

    @field_validator("request_type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        names = default_taxonomy().request_type_names
        if value is not None and value not in names:
            raise ValueError(f"unknown request_type {value!r}; one of {names}")
        return value

    @field_validator("urgency")
    @classmethod
    def _known_urgency(cls, value: str | None) -> str | None:
        urgency = default_taxonomy().urgency
        names = [level.name for level in urgency.levels] + [urgency.default]
        if value is not None and value not in names:
            raise ValueError(f"unknown urgency {value!r}; one of {names}")
        return value

    def given(self) -> dict:
        return self.model_dump(exclude_unset=True)
