"""Draft ticket (工单草稿) shape and the edits an agent may make to one."""
from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.tickets.taxonomy import default_taxonomy

TranscriptStatus = Literal["pending", "done", "unavailable", "no_speech", "error"]
TicketStatus = Literal["draft", "claimed", "submitted"]
Route = Literal["business", "tourism", "general"]
REPEAT_LABEL = "群众多次投诉问题"
# fields the classifier fills; once an agent edits one, a late transcript no longer overwrites it
CLASSIFIED_FIELDS = ("category", "request_type", "urgency", "location_hints")
SUMMARY_MAX = 2000


class Transcript(BaseModel):
    status: TranscriptStatus = "pending"
    text: str = ""
    pinyin: str | None = None
    engine: str | None = None
    model: str | None = None
    confidence: float | None = None
    keywords: list[dict] = []
    # words with times (and, from Whisper, a probability: the console marks the unsure ones)
    tokens: list[dict] = []
    audio_seconds: float | None = None
    processing_seconds: float | None = None
    error: str | None = None

    @classmethod
    def from_engine(cls, data: dict) -> "Transcript":
        """Accept an `asr` Transcript.to_dict() (plus optional status/error)."""
        status = data.get("status") or ("no_speech" if data.get("no_speech") else "done")
        keywords = [k if isinstance(k, dict) else {"word": str(k)} for k in data.get("keywords") or []]
        fields = {k: data.get(k) for k in ("pinyin", "engine", "model", "confidence", "audio_seconds",
                                           "processing_seconds", "error")}
        tokens = [t for t in data.get("tokens") or [] if isinstance(t, dict)]
        return cls(status=status, text=data.get("text") or "", keywords=keywords, tokens=tokens, **fields)

    @property
    def keyword_words(self) -> list[str]:
        return [k["word"] for k in self.keywords if k.get("word")]


class Repeat(BaseModel):
    same_caller_ticket_ids: list[str] = []
    same_issue_ticket_ids: list[str] = []
    label: str | None = None


class AuditEntry(BaseModel):
    t: float
    who: str
    action: str
    changes: dict = {}


class Ticket(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    call_id: str
    caller: str = ""
    created_at: float
    updated_at: float
    line: Route = "general"
    line_label: str = ""
    menu_version: str | None = None
    started_at: float | None = None
    recording_path: str | None = None
    transcript: Transcript = Transcript()  # the fast pass: keyword hits and pinyin (hotline/tickets/passes.py)
    hanzi: Transcript = Transcript()  # the 汉字 pass: what the caller said
    request_type: str = ""
    category: str = ""
    category_confidence: float = 0.0
    location_hints: list[str] = []
    urgency: str = "normal"
    matched: list[str] = []
    repeat: Repeat = Repeat()
    status: TicketStatus = "draft"
    agent: str | None = None
    summary: str = ""  # the agent's 诉求摘要: written only by the agent
    suggested_summary: str = ""  # one sentence from the transcript and fields, for the agent to accept or edit
    address: str = ""
    notes: str = ""
    edited: list[str] = []
    submitted_at: float | None = None
    audit: list[AuditEntry] = []

    def record(self, who: str, action: str, changes: dict | None = None) -> None:
        now = time.time()
        self.updated_at = now
        self.audit.append(AuditEntry(t=now, who=who, action=action, changes=changes or {}))


class TicketChanges(BaseModel):
    """What PATCH /api/tickets/{id} accepts. `status: claimed` claims the ticket for the editor."""
    model_config = ConfigDict(extra="forbid")

    summary: str | None = Field(default=None, max_length=SUMMARY_MAX)
    address: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=SUMMARY_MAX)
    category: str | None = None
    request_type: str | None = None
    urgency: str | None = None
    location_hints: list[str] | None = Field(default=None, max_length=10)
    status: Literal["claimed", "draft"] | None = None

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
