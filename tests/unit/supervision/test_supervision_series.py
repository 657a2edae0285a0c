"""Per-second buckets with running window totals: same numbers as a full scan, however reads interleave."""
import random

from hotline.supervision.series import Series


def scan(items, now, window_s, mark):
    inside = [v for t, v in items if int(t) >= now - window_s]
    return len(inside), sum(inside), sum(1 for v in inside if mark(v))


def test_window_totals_match_a_full_scan_while_time_moves_on():
    rng, mark = random.Random(7), (lambda v: v <= 20)
    series, items, t = Series(mark), [], 1000.0
    for step in range(3000):
        t += rng.choice([0.0, 0.3, 1.0, 2.5])
        late = t - rng.choice([0, 0, 0, 2])          # timeouts are stamped 2 s back
        value = rng.randint(0, 60)
        series.append(late, value)
        items.append((late, value))
        if step % 7 == 0:
            for window_s in (60, 300, 900):
                got = series.window(t, window_s)
                count, total, marked = scan(items, t, window_s, mark)
                assert (got.count, got.marked) == (count, marked) and abs(got.total - total) < 1e-6


def test_exact_on_whole_seconds_trim_and_time_going_back():
    series = Series()
    for t in range(0, 100):
        series.append(t, 1.0)
    assert series.window(99, 10).count == 11           # seconds 89..99
    assert series.window(150, 60).count == 10          # 90..99: buckets left the window
    series.trim(95)
    assert len(series) == 5 and series.window(150, 60).count == 5
    assert series.window(96, 10).count == 5            # time went back: rebuilt, not wrong
    series.append(101, 2.0)
    assert series.window(101, 10).total == 7.0


def test_reads_cost_no_scan_of_old_buckets():
    series = Series()
    for t in range(10_000):
        series.append(t)
        series.window(t, 900)
    window = series._windows[900]
    assert window.count == 901 and window.first == 10_000 - 901
