"""Queue model on scripted Asterisk 22 event sequences (field names as in the AMI event docs)."""
from hotline.supervision.queue_model import QueueModel


class Msg(dict):
    """Like telephony.ami.message.Message: a mapping with a `name`."""
    def __init__(self, name, **fields):
        super().__init__(Event=name, **fields)
        self.name = name


def join(uid, q="tourism"):
    return Msg("QueueCallerJoin", Queue=q, Uniqueid=uid, Position="1", Count="1")


def leave(uid, q="tourism"):
    return Msg("QueueCallerLeave", Queue=q, Uniqueid=uid, Position="1", Count="0")


def connect(uid, hold, iface="PJSIP/agent2", q="tourism"):
    return Msg("AgentConnect", Queue=q, Uniqueid=uid, Interface=iface, MemberName="agent2",
               HoldTime=str(hold), RingTime="1")


def member(iface, status, paused="0", q="tourism", event="QueueMemberStatus", in_call="0"):
    return Msg(event, Queue=q, Interface=iface, MemberName=iface.split("/")[-1], Status=str(status),
               Paused=paused, InCall=in_call)


def test_waiting_answer_abandon_and_rates():
    m = QueueModel(["tourism"], sl_seconds=20)
    for i in range(4):
        m.apply(join(f"c{i}"), now=100 + i)
    snap = m.snapshot("tourism", now=130)
    assert snap["callers_waiting"] == 4 and snap["longest_wait_s"] == 30
    # c0 answered after 10 s (leave comes before connect in app_queue); c1 after 30 s
    m.apply(leave("c0"), 110); m.apply(connect("c0", 10), 110)
    m.apply(connect("c1", 30), 131); m.apply(leave("c1"), 131)
    # c2 hangs up
    m.apply(Msg("QueueCallerAbandon", Queue="tourism", Uniqueid="c2", Position="1", OriginalPosition="3",
                HoldTime="40"), 142)
    m.apply(leave("c2"), 142)
    m.apply(Msg("AgentComplete", Queue="tourism", Uniqueid="c0", Interface="PJSIP/agent2", HoldTime="10",
                TalkTime="200", Reason="caller"), 310)
    m.tick(320)
    snap = m.snapshot("tourism", now=320)
    assert snap["callers_waiting"] == 1                       # c3 still waiting, 217 s
    assert (snap["offered"], snap["answered"], snap["abandoned"], snap["timed_out"]) == (4, 2, 1, 0)
    assert snap["answer_rate"] == 66.7 and snap["abandon_rate"] == 33.3
    # within 20 s: c0 only; misses: c1 (30 s), c2 (abandoned), c3 (still waiting 217 s)
    assert snap["service_level"] == 25.0
    assert snap["aht_s"] == 200 and snap["asa_s"] == 20
    assert snap["arrival_rate_per_min"]["15m"] == round(4 / 15, 3)
    assert snap["arrival_rate_per_min"]["1m"] == 0.0


def test_leave_without_answer_counts_as_timeout():
    m = QueueModel(["tourism"])
    m.apply(join("c1"), 0)
    m.apply(leave("c1"), 300)    # Queue() timed out (max wait); no connect, no abandon follows
    m.tick(301)
    assert m.snapshot("tourism", now=301)["timed_out"] == 0     # not decided yet
    m.tick(303)
    assert m.snapshot("tourism", now=303)["timed_out"] == 1


def test_agents_by_state():
    m = QueueModel(["tourism"])
    m.apply(member("PJSIP/agent1", 1, event="QueueMemberAdded"), 0)
    m.apply(member("PJSIP/agent2", 1), 0)
    m.apply(member("PJSIP/agent3", 5), 0)                     # unavailable: phone not registered
    m.apply(member("PJSIP/agent4", 1, paused="1", event="QueueMemberPause"), 0)
    m.apply(connect("c1", 3, iface="PJSIP/agent2"), 1)
    snap = m.snapshot("tourism", now=2)
    assert (snap["agents_logged_in"], snap["agents_available"], snap["agents_busy"], snap["agents_paused"]) == (3, 1, 1, 1)
    m.apply(Msg("QueueMemberRemoved", Queue="tourism", Interface="PJSIP/agent1", MemberName="agent1"), 3)
    assert m.snapshot("tourism", now=None)["agents_logged_in"] == 2


def test_unrelated_and_malformed_events_are_ignored():
    m = QueueModel(["tourism"])
    assert m.apply(Msg("Newchannel", Channel="PJSIP/x"), 0) is None
    assert m.apply(Msg("QueueCallerJoin"), 0) is None                      # no Queue field
    m.apply(Msg("AgentConnect", Queue="tourism", Uniqueid="u", HoldTime="abc"), 0)   # bad number
    assert m.snapshot("tourism", now=1)["answered"] == 1


def status_reply(entries, members):
    reply = [Msg("QueueParams", Queue="tourism", Max="0", Strategy="ringall", Calls=str(len(entries)),
                 Holdtime="0", TalkTime="0", Completed="0", Abandoned="0", ServiceLevel="20",
                 ServicelevelPerf="0.0", ServicelevelPerf2="0.0", Weight="0")]
    reply += [Msg("QueueMember", Queue="tourism", Name=name, Location=loc, StateInterface=loc, Membership="dynamic",
                  Penalty="0", CallsTaken="0", LastCall="0", LastPause="0", LoginTime="0", InCall="0",
                  Status=str(status), Paused="0", PausedReason="", Wrapuptime="0") for name, loc, status in members]
    reply += [Msg("QueueEntry", Queue="tourism", Position=str(i + 1), Channel=f"PJSIP/caller-{uid}",
                  Uniqueid=uid, CallerIDNum="13800000000", CallerIDName="x", ConnectedLineNum="",
                  ConnectedLineName="", Wait=str(wait), Priority="0") for i, (uid, wait) in enumerate(entries)]
    return reply + [Msg("QueueStatusComplete", EventList="Complete", ListItems=str(len(reply)))]


def test_reconcile_after_missed_events():
    m = QueueModel(["tourism"])
    m.apply(join("a"), 100)
    m.apply(join("gone"), 100)               # its leave was lost while AMI was down
    changed = m.reconcile(status_reply([("a", 50), ("new", 30)], [("agent2", "PJSIP/agent2", 1)]), now=160,
                          full_reset=True)
    assert changed == {"tourism"}
    snap = m.snapshot("tourism", now=160)
    assert snap["callers_waiting"] == 2 and snap["agents_logged_in"] == 1
    assert m.queue("tourism").waiting["a"] == 100        # our own join time is kept
    assert m.queue("tourism").waiting["new"] == 130      # now - Wait
    # same reply again: nothing changes
    assert m.reconcile(status_reply([("a", 50), ("new", 30)], [("agent2", "PJSIP/agent2", 1)]), now=160) == set()


def test_queue_summary_mismatch_detects_drift():
    m = QueueModel(["tourism"])
    m.apply(join("a"), 0)
    ok = Msg("QueueSummary", Queue="tourism", LoggedIn="0", Available="0", Callers="1", HoldTime="0",
             TalkTime="0", LongestHoldTime="5")
    drift = Msg("QueueSummary", Queue="tourism", LoggedIn="0", Available="0", Callers="3", HoldTime="0",
                TalkTime="0", LongestHoldTime="5")
    assert m.summary_mismatch([ok]) == set()
    assert m.summary_mismatch([drift]) == {"tourism"}
