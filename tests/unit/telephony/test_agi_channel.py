"""AgiChannel.set_variables: several variables in one AGI command (MSet)."""
import pytest

from telephony.agi import AgiResult
from telephony.agi_channel import AgiChannel


class RecordingAgi:
    def __init__(self):
        self.lines = []

    async def command(self, channel, line, timeout=None):
        self.lines.append((channel, line))
        return AgiResult(200, "0", None, None, "200 result=0")


async def test_set_variables_is_one_mset_command():
    agi = RecordingAgi()
    await AgiChannel(agi, "PJSIP/callers-1").set_variables(
        {"HOTLINE_TICKET_ID": "T20261121-7", "HOTLINE_QUEUE": "tourism", "TIMEOUT(absolute)": 0})
    assert agi.lines == [("PJSIP/callers-1",
                          'EXEC MSet "HOTLINE_TICKET_ID=T20261121-7,HOTLINE_QUEUE=tourism,TIMEOUT(absolute)=0"')]


@pytest.mark.parametrize("name, value", [("A", "x,y"), ("A", "x|y"), ("A", "x\\y"), ("A", 'say "hi"'),
                                         ("A B", "x"), ("F(a,b)", "x"), ("", "x")])
async def test_values_that_would_split_or_break_the_command_are_refused(name, value):
    agi = RecordingAgi()
    with pytest.raises(ValueError):
        await AgiChannel(agi, "PJSIP/callers-1").set_variables({name: value})
    assert agi.lines == []
