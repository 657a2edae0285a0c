"""Rules with hysteresis: raise once, clear once, never flap; config errors are clear."""
import pytest

from hotline.supervision.config import OverflowConfigError, load_config, parse_config
from hotline.supervision.queue_model import QueueModel
from hotline.supervision.rules import RuleEngine
from hotline.supervision.staffing import staffing_advice


def config(rules, **extra):
    return parse_config({"queues": {"tourism": {"rules": rules}}, **extra})


WAITING = {"id": "waiting", "metric": "callers_waiting", "warning": {"raise": 3, "clear": 1},
           "critical": {"raise": 6, "clear": 3}, "clear_after_s": 10}


def set_waiting(model, count, now):
    q = model.queue("tourism")
    while len(q.waiting) < count:
        q.waiting[f"c{len(q.waiting)}-{now}"] = now
    while len(q.waiting) > count:
        q.waiting.popitem()


def run(engine, model, script):
    """script: [(time, callers waiting)] evaluated every second in between."""
    out = []
    for (t0, n), (t1, _) in zip(script, script[1:] + [(script[-1][0] + 1, None)]):
        set_waiting(model, n, t0)
        for t in range(t0, t1):
            out += engine.evaluate(model, t)
    return out


def test_raise_once_escalate_deescalate_clear_once():
    engine, model = RuleEngine(config([WAITING])), QueueModel(["tourism"])
    # jitter around the warning threshold (3↔2) must not clear: clear needs <= 1 for 10 s
    script = [(0, 0), (5, 3), (8, 2), (9, 3), (10, 2), (12, 7), (20, 4), (40, 2), (60, 1), (65, 2), (66, 1), (90, 1)]
    kinds = [(t.kind, t.severity, t.at) for t in run(engine, model, script)]
    assert kinds == [("raised", "warning", 5), ("escalated", "critical", 12), ("deescalated", "warning", 50),
                     ("cleared", None, 76)]


def test_clear_hold_time_restarts_when_value_bounces():
    engine, model = RuleEngine(config([WAITING])), QueueModel(["tourism"])
    out = run(engine, model, [(0, 4), (10, 1), (15, 2), (16, 1), (40, 1)])
    assert [(t.kind, t.at) for t in out] == [("raised", 0), ("cleared", 26)]


def test_low_is_bad_metric_and_raise_hold():
    rule = {"id": "no_agent", "metric": "agents_logged_in", "critical": {"raise": 0, "clear": 1},
            "raise_after_s": 5, "clear_after_s": 5}
    engine, model = RuleEngine(config([rule])), QueueModel(["tourism"])
    out = [t for now in range(0, 4) for t in engine.evaluate(model, now)]
    assert out == []                                   # 3 s without agents: not yet
    out = [t for now in range(4, 10) for t in engine.evaluate(model, now)]
    assert [(t.kind, t.at, t.value, t.threshold) for t in out] == [("raised", 5, 0.0, 0)]


def test_rate_metric_needs_min_calls():
    rule = {"id": "sl", "metric": "service_level", "window_s": 300, "min_calls": 3,
            "warning": {"raise": 80, "clear": 85}}
    engine, model = RuleEngine(config([rule])), QueueModel(["tourism"], sl_seconds=20)
    q = model.queue("tourism")
    q.waiting = {"a": 0.0, "b": 0.0}                    # two callers past 20 s: 0 % but only 2 calls
    assert engine.evaluate(model, 30) == []
    q.waiting["c"] = 0.0
    [t] = engine.evaluate(model, 31)
    assert (t.kind, t.value) == ("raised", 0.0)


def test_restore_prevents_duplicate_raise():
    engine, model = RuleEngine(config([WAITING])), QueueModel(["tourism"])
    engine.restore({"tourism:waiting": "warning"})
    set_waiting(model, 4, 0)
    assert engine.evaluate(model, 0) == []


def test_staffing_advice_uses_measured_numbers_and_defaults():
    cfg = load_config()
    model = QueueModel(["tourism"])
    advice = staffing_advice(model, "tourism", 1000, cfg.staffing)
    assert advice["basis"] == "default" and advice["calls_per_hour"] == 30
    for i in range(30):                                 # 30 calls in 5 min = 360/h, 240 s AHT = 24 Erlangs
        model.queue("tourism").joins.append(700 + i * 10)
    advice = staffing_advice(model, "tourism", 1000, cfg.staffing)
    assert advice["traffic_erlangs"] == 24.0 and advice["add_agents"] == advice["agents_needed"] >= 29
    assert advice["message"] == f"需要增配 {advice['add_agents']} 名话务员"


@pytest.mark.parametrize("rule,needle", [
    ({"id": "w", "metric": "callers_waiting", "warning": {"raise": 3, "clear": 3}}, "must be strictly below"),
    ({"id": "s", "metric": "service_level", "warning": {"raise": 80, "clear": 70}}, "must be strictly above"),
    ({"id": "w", "metric": "callers_waiting"}, "at least one of"),
    ({"id": "w", "metric": "queue_length", "warning": {"raise": 3, "clear": 1}}, "metric"),
    ({"id": "w", "metric": "callers_waiting", "warning": {"raise": 5, "clear": 1},
      "critical": {"raise": 4, "clear": 1}}, "critical 'raise' must be worse"),
    ({"id": "a", "metric": "abandon_rate", "warning": {"raise": 150, "clear": 10}}, "percentage"),
    ({"id": "w", "metric": "callers_waiting", "warning": {"raise": 3, "clear": 1}, "typo": 1}, "typo"),
])
def test_config_errors_name_the_problem(rule, needle):
    with pytest.raises(OverflowConfigError) as err:
        config([rule])
    assert needle in str(err.value) and "queues.tourism.rules.0" in str(err.value)


def test_config_file_errors(tmp_path):
    with pytest.raises(OverflowConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("queues: [unclosed", encoding="utf-8")
    with pytest.raises(OverflowConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(OverflowConfigError, match="not a configured queue"):
        parse_config({"queues": {"tourism": {"overflow": {"enabled": True, "queue": "nowhere"}}}},
                     lines=["business", "tourism", "general"])
    with pytest.raises(OverflowConfigError, match="webhook URL"):
        parse_config({"queues": {}, "webhooks": {"urls": ["ftp://x"]}})


def test_shipped_config_is_valid():
    cfg = load_config()
    assert set(cfg.queues) == {"business", "tourism", "general"}
    assert cfg.queues["tourism"].overflow.enabled is False
