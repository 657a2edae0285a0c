"""AgiChannel.set_variables: several SET VARIABLE commands queued together, nothing that breaks the line."""
import pytest

from telephony.agi import AgiResult
from telephony.agi_channel import AgiChannel


class RecordingAgi:
    def __init__(self):
        self.batches = []

    async def commands(self, channel, lines, timeout=None):
        self.batches.append((channel, list(lines)))
        return [AgiResult(200, "1", None, None, "200 result=1") for _ in lines]


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
