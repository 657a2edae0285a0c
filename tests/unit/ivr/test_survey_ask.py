"""The end-of-call survey's dialogue against a scripted channel (real calls: tests/integration/survey)."""
from __future__ import annotations

import pytest

from ivr.survey import EndOfCallSurvey, ask_satisfaction
from telephony.agi import AgiHangup


class Channel:
    """Keys the caller presses, one per prompt/wait; AgiHangup when the script says so."""

    def __init__(self, *keys):
        self.keys, self.played, self.released = list(keys), [], False

    async def prompt_for_key(self, sound, seconds):
        self.played.append(sound)
        key = self.keys.pop(0) if self.keys else None
        if key == "hangup":
            raise AgiHangup("gone")
        return key

    async def play(self, sound, escape=""):
        self.played.append(sound)

    async def release(self):
        self.released = True


@pytest.mark.parametrize("keys,answer", [(["2"], "2"), (["7", "3"], "3"), (["7", "7"], "none"), ([None], "none")])
async def test_one_wrong_key_hears_the_question_again(keys, answer):
    channel = Channel(*keys)
    assert await ask_satisfaction(channel, "survey", "input-error", 5) == answer


class Journal:
    def __init__(self, summary):
        self.summary_, self.events, self.updates = summary, [], {}

    async def summary(self, call_id):
        return self.summary_

    async def record(self, call_id, event, **fields):
        self.events.append((event, fields))

    async def update(self, call_id, **fields):
        self.updates.update(fields)


async def _survey(summary, channel, enabled=True):
    recorded = []

    async def record(result):
        recorded.append(result)
    journal = Journal(summary)
    await EndOfCallSurvey(journal, record, lambda name: name, lambda line: enabled).handle(
        channel, {"agi_arg_2": "20261128-100000-abcdef", "agi_arg_3": "CONTINUE"})
    return journal, recorded


async def test_survey_only_after_an_agent_answered_and_on_lines_that_have_it():
    for summary, enabled in (({"route": "general"}, True), ({"route": "general", "agent": "agent3"}, False)):
        channel = Channel("1")
        journal, recorded = await _survey(summary, channel, enabled)
        assert recorded == [] and channel.played == [] and channel.released


async def test_caller_hanging_up_in_the_survey_is_no_answer():
    channel = Channel("hangup")
    journal, recorded = await _survey({"route": "general", "agent": "agent3", "ticket_id": "T1"}, channel)
    assert ("survey", {"value": "none", "hangup": True}) in journal.events and journal.updates == {"survey": "none"}
    assert recorded == [{"call_id": "20261128-100000-abcdef", "ticket_id": "T1", "line": "general",
                         "agent": "agent3", "answer": "none"}]
    assert channel.released
