import logging

import pytest

from telephony.ami.protocol import FrameParser, encode_action

GREETING = b"Asterisk Call Manager/11.0.0\r\n"
NEWCHANNEL = (b"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/caller-00000001\r\n"
              b"CallerIDNum: 13812345678\r\nUniqueid: 1700000000.1\r\n\r\n")
SUCCESS = b"Response: Success\r\nActionID: 7\r\nMessage: Authentication accepted\r\n\r\n"


def feed_all(data: bytes, step: int | None = None):
    parser = FrameParser()
    if step is None:
        return parser, parser.feed(data)
    out = []
    for i in range(0, len(data), step):
        out += parser.feed(data[i:i + step])
    return parser, out


def test_greeting_then_frames():
    parser, messages = feed_all(GREETING + SUCCESS + NEWCHANNEL)
    assert parser.greeting == "Asterisk Call Manager/11.0.0" and parser.version == "11.0.0"
    assert [m.name for m in messages] == ["Success", "Newchannel"]
    assert messages[0].is_response and messages[0].action_id == "7"
    assert messages[1].is_event and messages[1]["Channel"] == "PJSIP/caller-00000001"


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64])
def test_frames_split_at_any_byte(step):
    _, messages = feed_all(GREETING + SUCCESS + NEWCHANNEL * 3, step)
    assert [m.name for m in messages] == ["Success"] + ["Newchannel"] * 3
    assert all(m.get("Uniqueid") == "1700000000.1" for m in messages[1:])


def test_without_greeting_and_blank_lines_between_frames():
    _, messages = feed_all(b"\r\n" + NEWCHANNEL + b"\r\n\r\n" + SUCCESS)
    assert [m.name for m in messages] == ["Newchannel", "Success"]


def test_bare_lf_line_endings_accepted():
    _, messages = feed_all(b"Event: Hangup\nChannel: X\nCause: 16\n\n")
    assert messages[0].name == "Hangup" and messages[0]["Cause"] == "16"


def test_value_with_colon_space_and_empty_value():
    _, messages = feed_all(b"Event: UserEvent\r\nData: a: b: c\r\nEmpty: \r\nBare:\r\n\r\n")
    assert messages[0]["Data"] == "a: b: c"
    assert messages[0]["Empty"] == "" and messages[0]["Bare"] == ""


def test_repeated_headers_and_chanvars():
    data = (b"Event: Newstate\r\nChanVariable: HOTLINE_CALL_ID=c-1\r\nChanVariable: HOTLINE_ROUTE=tourism\r\n"
            b"ChanVariable: EMPTY=\r\nDestChanVariable: HOTLINE_CALL_ID=c-2\r\n"
            b"ChanVariable(LEGACY): old=style\r\n\r\n")
    message = feed_all(data)[1][0]
    assert message.chanvars == {"HOTLINE_CALL_ID": "c-1", "HOTLINE_ROUTE": "tourism", "EMPTY": "",
                                "LEGACY": "old=style"}
    assert message.variables("DestChanVariable") == {"HOTLINE_CALL_ID": "c-2"}
    assert message.get_list("ChanVariable")[0] == "HOTLINE_CALL_ID=c-1"
    assert message.get("ChanVariable") == "HOTLINE_CALL_ID=c-1"


def test_modern_command_output():
    data = (b"Response: Success\r\nActionID: 3\r\nMessage: Command output follows\r\n"
            b"Output: line one\r\nOutput: key: value\r\n\r\n")
    assert feed_all(data)[1][0].output == ["line one", "key: value"]


@pytest.mark.parametrize("step", [None, 5])
def test_legacy_follows_with_blank_lines_in_body(step):
    data = (b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n"
            b"Name/username    Host\n\n\nagent1/agent1   127.0.0.1\n--END COMMAND--\r\n\r\n" + NEWCHANNEL)
    _, messages = feed_all(data, step)
    assert messages[0].name == "Follows" and messages[0].action_id == "9"
    assert messages[0].output == ["Name/username    Host", "", "", "agent1/agent1   127.0.0.1"]
    assert messages[1].name == "Newchannel"


def test_malformed_lines_logged_and_skipped(caplog):
    caplog.set_level(logging.WARNING)
    parser, messages = feed_all(b"Event: Hangup\r\nthis is not a header\r\n: no key\r\nCause: 16\r\n\r\n"
                                b"garbage without headers\r\n\r\n" + SUCCESS)
    assert [m.name for m in messages] == ["Hangup", "Success"]
    assert messages[0]["Cause"] == "16"
    assert parser.skipped_lines == 3
    assert "malformed" in caplog.text


def test_unicode_split_inside_a_character_and_bad_bytes():
    name = "张三 市民".encode()
    data = b"Event: Newchannel\r\nCallerIDName: " + name + b"\r\nBad: \xff\xfeok\r\n\r\n"
    cut = data.index(name) + 1  # inside the first 3-byte character
    parser = FrameParser()
    messages = parser.feed(data[:cut]) + parser.feed(data[cut:])
    assert messages[0]["CallerIDName"] == "张三 市民"
    assert messages[0]["Bad"] == "\ufffd\ufffdok"


def test_partial_greeting_waits():
    parser = FrameParser()
    assert parser.feed(b"Asterisk Call") == []
    assert [m.name for m in parser.feed(b" Manager/9.0.0\r\n" + SUCCESS)] == ["Success"]
    assert parser.version == "9.0.0"


def test_encode_action_repeats_list_values_and_skips_none():
    frame = encode_action("Originate", "a-1", {"Channel": "PJSIP/x", "Variable": ["A=1", "B=2"], "Async": None})
    assert frame == (b"Action: Originate\r\nActionID: a-1\r\nChannel: PJSIP/x\r\n"
                     b"Variable: A=1\r\nVariable: B=2\r\n\r\n")


@pytest.mark.parametrize("fields", [{"Channel": "x\r\nAction: Hangup"}, {"Bad\nKey": "v"}])
def test_encode_action_rejects_header_injection(fields):
    with pytest.raises(ValueError):
        encode_action("Status", "1", fields)


def test_lookup_ignores_case_after_exact_miss():
    message = feed_all(b"Event: AsyncAGIExec\r\nCommandId: c-1\r\nResult: 200%20result%3D0\r\n\r\n")[1][0]
    assert message.get("CommandID") == "c-1" and message["commandid"] == "c-1" and "COMMANDID" in message
    assert message.get("Missing", "d") == "d" and "Missing" not in message
    with pytest.raises(KeyError):
        message["Missing"]


def test_unterminated_garbage_is_bounded(monkeypatch):
    import telephony.ami.protocol as protocol
    monkeypatch.setattr(protocol, "_MAX_PENDING", 1000)
    parser = FrameParser()
    assert parser.feed(GREETING + b"x" * 2000) == []
    assert [m.name for m in parser.feed(SUCCESS)] == ["Success"]  # the stream recovers


FOLLOWS_OPEN = b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n\r\n"


def test_follows_without_end_marker_holds_later_frames_only_up_to_a_bound(monkeypatch):
    """Issue 10: it held back every later frame up to 16 MiB (and re-searched the whole tail each feed)."""
    import telephony.ami.protocol as protocol
    monkeypatch.setattr(protocol, "MAX_FOLLOWS_BYTES", 10_000)
    parser = FrameParser()
    out = parser.feed(GREETING + FOLLOWS_OPEN)
    for _ in range(200):  # ~24 KB of events
        out += parser.feed(NEWCHANNEL)
    assert out[0].name == "Follows" and out[0].action_id == "9"
    assert [m.name for m in out[1:]] == ["Newchannel"] * 200
    assert [m.name for m in parser.feed(SUCCESS)] == ["Success"]


def test_follows_without_end_marker_is_cut_after_a_time_bound():
    now = [0.0]
    parser = FrameParser(clock=lambda: now[0])
    assert parser.feed(GREETING + FOLLOWS_OPEN + NEWCHANNEL) == []
    now[0] = 4.0
    assert parser.feed(NEWCHANNEL) == []  # still inside the bound: might be slow command output
    now[0] = 6.0
    assert [m.name for m in parser.feed(NEWCHANNEL)] == ["Follows"] + ["Newchannel"] * 3


@pytest.mark.parametrize("step", [1, 64])
def test_follows_marker_found_across_feeds_after_partial_scans(step):
    body = b"".join(b"line %d\n" % n for n in range(500))
    data = GREETING + FOLLOWS_OPEN[:-2] + body + b"--END COMMAND--\r\n\r\n" + NEWCHANNEL
    _, messages = feed_all(data, step)
    assert [m.name for m in messages] == ["Follows", "Newchannel"] and len(messages[0].output) == 500
