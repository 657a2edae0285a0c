"""AgiChannel: several SET VARIABLE commands queued together, nothing that breaks the line; keys typed ahead."""
import pytest

from telephony.agi import AgiResult
from telephony.agi_channel import AgiChannel


class RecordingAgi:
    """Records the batches; `results` answers commands by prefix; `keys` are the caller's presses (DTMFEnd),
    `pressed_during` adds presses while a command with that prefix runs."""

    def __init__(self, results=None, pressed_during=None):
        self.batches, self.keys = [], ""
        self.results, self.pressed_during = results or {}, pressed_during or {}

    def keys_received(self, channel):
        return self.keys

    async def commands(self, channel, lines, timeout=None):
        self.batches.append((channel, list(lines)))
        for line in lines:
            self.keys += next((k for prefix, k in self.pressed_during.items() if line.startswith(prefix)), "")
        return [AgiResult(200, *next((r for prefix, r in self.results.items() if line.startswith(prefix)),
                                     ("1", None, None)), "200") for line in lines]


async def test_set_variables_queues_all_commands_in_one_batch():
    agi = RecordingAgi()
    await AgiChannel(agi, "PJSIP/callers-1").set_variables(
        {"HOTLINE_TICKET_ID": "T20261121-7", "HOTLINE_QUEUE": "tourism", "TIMEOUT(absolute)": 0})
    assert agi.batches == [("PJSIP/callers-1", ['SET VARIABLE HOTLINE_TICKET_ID "T20261121-7"',
                                                'SET VARIABLE HOTLINE_QUEUE "tourism"',
                                                'SET VARIABLE TIMEOUT(absolute) "0"'])]



async def test_release_with_sets_then_breaks_in_the_same_batch():
    agi = RecordingAgi()
    await AgiChannel(agi, "PJSIP/callers-1").release_with({"HOTLINE_QUEUE": "tourism"})
    assert agi.batches == [("PJSIP/callers-1", ['SET VARIABLE HOTLINE_QUEUE "tourism"', "ASYNCAGI BREAK"])]


@pytest.mark.parametrize("name, value", [("A", 'say "hi"'), ("A", "two\nlines"), ("A B", "x"),
                                         ("F(a,b)", "x"), ("", "x"), ("A;B", "x")])
async def test_names_and_values_that_would_break_the_command_are_refused(name, value):
    agi = RecordingAgi()
    with pytest.raises(ValueError):
        await AgiChannel(agi, "PJSIP/callers-1").set_variables({name: value})
    assert agi.batches == []


async def test_a_key_typed_ahead_answers_the_next_prompt_without_playing_it():
    agi = RecordingAgi(results={"GET OPTION": ("57", None, 8000)}, pressed_during={"GET OPTION": "9"})
    channel = AgiChannel(agi, "PJSIP/callers-1")
    assert await channel.prompt_for_key("/sounds/welcome", 5) == "9"     # read by the command itself
    agi.keys += "#"                                                      # pressed before the next command
    assert await channel.play("/sounds/record-description", "*#") == "#"
    assert [line for _, batch in agi.batches for line in batch] == ['GET OPTION /sounds/welcome "0123456789*#" 5000']


async def test_a_key_pressed_before_the_prompt_started_counts_when_the_prompt_returns_none():
    agi = RecordingAgi(results={"STREAM FILE": ("0", None, 24000)}, pressed_during={"STREAM FILE": "5#"})
    assert await AgiChannel(agi, "PJSIP/callers-1").play("/sounds/record-description", "*#") == "#"


async def test_keys_pressed_during_an_earlier_command_are_not_typed_ahead():
    agi = RecordingAgi(results={"STREAM FILE": ("0", None, 8000)}, pressed_during={"STREAM FILE": "9"})
    channel = AgiChannel(agi, "PJSIP/callers-1")
    assert await channel.play("/sounds/please-hold") is None        # no escape keys: the 9 was ignored
    agi.pressed_during = {}
    assert await channel.play("/sounds/record-description", "*#9") is None
    assert channel.typed_ahead() == ""


async def test_a_key_dropped_before_the_prompt_started_comes_first_and_the_one_read_waits_for_the_next():
    """The caller pressed 9 before the menu prompt started (dropped) and # during it (read): 9 is the choice,
    # skips the next prompt."""
    agi = RecordingAgi(results={"GET OPTION": (str(ord("#")), None, 800)}, pressed_during={"GET OPTION": "9#"})
    channel = AgiChannel(agi, "PJSIP/callers-1")
    assert await channel.prompt_for_key("/sounds/welcome", 5) == "9"
    assert await channel.play("/sounds/record-description", "*#") == "#"
    assert len(agi.batches) == 1
