"""AgiChannel: several SET VARIABLE commands queued together, nothing that breaks the line; keys typed ahead;
a prompt whose key Asterisk dropped is stopped."""
import asyncio

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

    def next_key(self, channel):
        return asyncio.get_running_loop().create_future()   # keys here come with the command's result

    async def stop_playback(self, channel):
        raise AssertionError("no prompt here is stopped")

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


class PlayingAgi(RecordingAgi):
    """One command that plays until stopped (or for `plays` seconds); `press` is a caller's key whose DTMFEnd
    arrives while it runs, `read` whether the command read it (its result then follows at once)."""

    def __init__(self, plays=30.0):
        super().__init__()
        self.plays, self.stopped, self._waiters, self._done = plays, 0, [], None

    def next_key(self, channel):
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future

    def press(self, key, read=False):
        self.keys += key
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        if read:
            self._done.set_result(AgiResult(200, str(ord(key)), None, 800, "200"))

    async def stop_playback(self, channel):
        self.stopped += 1
        self._done.set_result(AgiResult(200, "0", None, 16000, "200 result=0 endpos=16000"))   # stopped

    async def commands(self, channel, lines, timeout=None):
        self.batches.append((channel, list(lines)))
        self._done = asyncio.get_running_loop().create_future()
        try:
            return [await asyncio.wait_for(self._done, self.plays)]
        except TimeoutError:
            return [AgiResult(200, "0", None, 56000, "200 result=0 endpos=56000")]


async def test_a_prompt_whose_key_asterisk_dropped_is_stopped_and_the_key_answers_it():
    """'#' pressed just before the description prompt started: Asterisk dropped it, its DTMFEnd came while the
    prompt played. Without a result behind it, the prompt is stopped instead of playing its 7 s."""
    agi = PlayingAgi()
    channel = AgiChannel(agi, "PJSIP/callers-1")
    playing = asyncio.ensure_future(channel.play("/sounds/record-description", "*#"))
    await asyncio.sleep(0.05)
    agi.press("#")
    assert await asyncio.wait_for(playing, 2) == "#"
    assert agi.stopped == 1
    assert channel.typed_ahead() == ""          # the key answered this prompt, not the next


async def test_a_key_the_prompt_read_itself_does_not_stop_anything():
    agi = PlayingAgi()
    channel = AgiChannel(agi, "PJSIP/callers-1")
    playing = asyncio.ensure_future(channel.prompt_for_key("/sounds/welcome", 5))
    await asyncio.sleep(0.05)
    agi.press("9", read=True)
    assert await asyncio.wait_for(playing, 2) == "9"
    assert agi.stopped == 0


async def test_a_key_the_prompt_does_not_take_lets_it_play_on():
    agi = PlayingAgi(plays=0.8)
    channel = AgiChannel(agi, "PJSIP/callers-1")
    playing = asyncio.ensure_future(channel.play("/sounds/record-description", "*#"))
    await asyncio.sleep(0.05)
    agi.press("5")
    assert await asyncio.wait_for(playing, 3) is None
    assert agi.stopped == 0


async def test_a_caller_who_hangs_up_during_the_prompt_leaves_nothing_waiting():
    agi = PlayingAgi()
    channel = AgiChannel(agi, "PJSIP/callers-1")
    playing = asyncio.ensure_future(channel.play("/sounds/record-description", "*#"))
    await asyncio.sleep(0.05)
    playing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await playing
    await asyncio.sleep(0)
    assert all(waiter.done() for waiter in agi._waiters)
