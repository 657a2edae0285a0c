"""预约回拨 at a peak: the same callers with and without the call-back offer (a discrete-event simulation).

Not real calls: a SimPy (PyPI `simpy`, maintained) model of one line with the feature's rules, run twice on the
same random draws (arrivals, patience, who accepts the offer, who answers the call-back):
- callers arrive as a Poisson stream faster than the agents answer them (the peak), then slower (the
  recovery), each with a patience after which they hang up (abandon);
- with the offer: while the line's estimated wait (hotline/callback/estimate.py: callers ahead x handle time
  / agents) is over the threshold, a waiting caller hears the offer 5 s after joining and every 20 s, and
  accepts with some probability; their placeholder keeps their place (app_queue position) and never abandons;
- an agent who takes a placeholder first hears the notice and lets the caller's phone ring (agent time spent
  either way); no answer -> retried at the head of the queue after the interval, up to the attempts.

    .venv/bin/python bench/callback.py            # prints the table, writes docs/performance.md
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_doc_section  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
START, END = "## Call-back at peaks (bench/callback.py)", "<!-- end callback bench -->"


@dataclass(frozen=True)
class Peak:
    agents: int = 8
    aht_s: float = 240.0            # mean handle time (exponential)
    peak_load: float = 1.5          # arrivals / answering capacity during the peak
    peak_s: float = 3600.0
    recovery_load: float = 0.6      # after the peak, until the horizon
    horizon_s: float = 3 * 3600.0
    patience_s: float = 240.0       # mean (exponential): how long a caller holds before hanging up
    threshold_s: float = 120.0      # config/callback.yaml lines.<line>.threshold_seconds
    offer_first_s: float = 5.0
    offer_every_s: float = 20.0
    accept_p: float = 0.35          # a caller who hears the offer presses 1
    answer_p: float = 0.85          # a called-back caller answers an attempt
    notice_s: float = 4.7           # callback-agent prompt
    ring_s: float = 8.0             # until the caller answers (or ring_seconds when they do not)
    ring_limit_s: float = 30.0
    attempts: int = 3
    retry_s: float = 120.0


@dataclass
class Caller:
    arrives: float
    patience: float
    accepts: list[float]            # one uniform draw per offer heard
    answers: list[float]            # one uniform draw per call-back attempt
    held: float = 0.0               # seconds on hold on the phone
    outcome: str = ""               # answered / abandoned / called_back / callback_failed / unserved
    callback_wait: float | None = None


@dataclass
class Run:
    callers: list[Caller]
    busy_s: float = 0.0
    callbacks_booked: int = 0
    stats: dict = field(default_factory=dict)


def draw_callers(p: Peak, seed: int) -> list[Caller]:
    rng, t, callers = random.Random(seed), 0.0, []
    capacity = p.agents / p.aht_s
    while True:
        rate = capacity * (p.peak_load if t < p.peak_s else p.recovery_load)
        t += rng.expovariate(rate)
        if t >= p.horizon_s - 1800:   # the last half hour only drains the queue
            return callers
        callers.append(Caller(t, rng.expovariate(1 / p.patience_s), [rng.random() for _ in range(200)],
                              [rng.random() for _ in range(p.attempts)]))


def simulate(p: Peak, callers: list[Caller], offer: bool, seed: int) -> Run:
    env, rng = simpy.Environment(), random.Random(seed + 1)   # talk times: same sequence in both runs
    agents = simpy.PriorityResource(env, capacity=p.agents)
    run = Run([Caller(c.arrives, c.patience, c.accepts, c.answers) for c in callers])
    talks = [rng.expovariate(1 / p.aht_s) for _ in range(len(callers) * (p.attempts + 1))]

    def work(seconds: float):
        run.busy_s += min(seconds, p.horizon_s - env.now)
        yield env.timeout(seconds)

    def estimated_wait() -> float:
        return (len(agents.queue) + 1) * p.aht_s / p.agents if agents.count >= p.agents else 0.0

    def caller(c: Caller, n: int):
        yield env.timeout(c.arrives)
        request = agents.request(priority=1)
        gave_up = env.timeout(c.patience)
        heard, booked = 0, False
        next_offer = env.now + p.offer_first_s
        while True:
            offer_tick = env.timeout(max(0.0, next_offer - env.now)) if offer else None
            waits = [request, gave_up] + ([offer_tick] if offer_tick else [])
            fired = yield env.any_of(waits)
            if request in fired:
                break
            if gave_up in fired:
                request.cancel()
                c.held, c.outcome = env.now - c.arrives, "abandoned"
                return
            next_offer = env.now + p.offer_every_s
            if estimated_wait() > p.threshold_s:
                heard += 1
                if c.accepts[heard - 1] < p.accept_p:
                    booked = True
                    break
        c.held = env.now - c.arrives
        if not booked:
            with request:
                c.outcome = "answered"
                yield from work(talks[n])
            return
        run.callbacks_booked += 1
        yield from callback(c, n, request)

    def callback(c: Caller, n: int, request):
        for attempt in range(p.attempts):
            yield request   # the placeholder keeps the place (then: the head of the queue)
            answered = c.answers[attempt] < p.answer_p
            if answered:
                c.callback_wait = env.now - c.arrives
                yield from work(p.notice_s + p.ring_s + talks[n])
                agents.release(request)
                c.outcome = "called_back"
                return
            yield from work(p.notice_s + p.ring_limit_s)
            agents.release(request)
            yield env.timeout(p.retry_s)
            request = agents.request(priority=0)
        c.outcome = "callback_failed"

    for n, c in enumerate(run.callers):
        env.process(caller(c, n))
    env.run(until=p.horizon_s)
    for c in run.callers:
        c.outcome = c.outcome or "unserved"
    return run


def summary(p: Peak, run: Run) -> dict:
    callers, n = run.callers, len(run.callers)
    count = {k: sum(c.outcome == k for c in callers) for k in
             ("answered", "abandoned", "called_back", "callback_failed", "unserved")}
    waits = [c.callback_wait for c in callers if c.callback_wait is not None]
    return {"callers": n, **count, "booked": run.callbacks_booked,
            "abandon_pct": 100 * count["abandoned"] / n,
            "served_pct": 100 * (count["answered"] + count["called_back"]) / n,
            "hold_s": statistics.mean(c.held for c in callers),
            "occupancy_pct": 100 * run.busy_s / (p.agents * p.horizon_s),
            "callback_wait_s": statistics.mean(waits) if waits else None}


def mean_of(summaries: list[dict]) -> dict:
    keys = summaries[0].keys()
    return {k: (statistics.mean(v) if (v := [s[k] for s in summaries if s[k] is not None]) else None) for k in keys}


def table(p: Peak, seed: int, without: dict, with_offer: dict) -> str:
    rows = [("callers per peak", "callers", "{:.0f}"),
            ("**abandoned (hung up while holding)**", "abandon_pct", "{:.1f} %"),
            ("served (answered live or called back and connected)", "served_pct", "{:.1f} %"),
            ("**average time on hold (on the phone)**", "hold_s", "{:.0f} s"),
            ("**agent occupancy** (incl. notice + ringing of call-backs)", "occupancy_pct", "{:.1f} %"),
            ("call-backs booked / connected / 回拨未接通", None, None),
            ("average time from the call to the call-back", "callback_wait_s", "{:.0f} s")]
    lines = ["| | without the offer | with the offer |", "|---|---|---|"]
    for label, key, fmt in rows:
        if key is None:
            cells = [f"{r['booked']:.1f} / {r['called_back']:.1f} / {r['callback_failed']:.1f}"
                     for r in (without, with_offer)]
        else:
            cells = ["—" if r[key] is None else fmt.format(r[key]) for r in (without, with_offer)]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--replications", type=int, default=30, help="peaks simulated (seeds seed, seed+1, ...)")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    p = Peak()
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for seed in range(args.seed, args.seed + args.replications):   # one peak is noisy: average many
        callers = draw_callers(p, seed)
        for offer in (False, True):
            runs[offer].append(summary(p, simulate(p, callers, offer, seed)))
    without, with_offer = (mean_of(runs[offer]) for offer in (False, True))
    text = table(p, args.seed, without, with_offer)
    print(text)
    if args.no_doc:
        return
    section = f"""{START}

A discrete-event simulation (SimPy), not real calls: the PBX mechanics are proven by
`tests/integration/callback/test_callback_live.py`; this measures what the offer does to a peak.
One line, {p.agents} agents, handle time {p.aht_s:.0f} s (exponential); arrivals {p.peak_load}x the answering
capacity for {p.peak_s / 60:.0f} min, then {p.recovery_load}x; patience {p.patience_s:.0f} s (exponential).
Offer threshold {p.threshold_s:.0f} s, first offer after {p.offer_first_s:.0f} s then every {p.offer_every_s:.0f} s;
{p.accept_p:.0%} of those who hear it press 1. A call-back costs its agent the {p.notice_s} s notice plus
ringing ({p.ring_s:.0f} s, or {p.ring_limit_s:.0f} s unanswered); {p.answer_p:.0%} answer an attempt,
{p.attempts} attempts {p.retry_s:.0f} s apart. Both arms run on the same callers; means over
{args.replications} simulated peaks (seeds {args.seed}-{args.seed + args.replications - 1}), each measured over
{p.horizon_s / 3600:.0f} h; call-back counts are per peak.

{text}

Reading: callers who would have hung up in the queue are called back instead, so fewer abandon and the
time callers spend on the phone on hold drops (a placeholder waits for them). Agent occupancy rises: the
callers who used to hang up are now served, and each call-back adds the notice and the ringing (about 13 s,
{p.notice_s + p.ring_limit_s:.0f} s when nobody answers) — the price of the offer. Run:
`.venv/bin/python bench/callback.py` (`--replications`, `--seed`, `--no-doc`).
{END}
"""
    write_doc_section(DOC, START, END, section)


if __name__ == "__main__":
    main()
