"""The interview engine: events per second on the real flow, beside a floor in the same run.

The floor is the cheapest thing an event must do anyway: copying the session's answers (what the
engine's refuse-and-restore snapshot costs). The figure that matters is engine µs per event, far
below the milliseconds a Telegram round trip takes.
"""

from __future__ import annotations

import copy
import random
import statistics
import time

from interview_flows.engine import Interview
from interview_flows.loader import load_flow
from interview_flows.schema import Question


def _value(q: Question, rng: random.Random):
    if q.type in ("single_choice", "yes_no"):
        return rng.choice(q.choices).value
    if q.type == "multiple_choice":
        plain = [c.value for c in q.choices if not c.exclusive]
        return rng.sample(plain, rng.randint(1, len(plain)))
    if q.type == "scale":
        return rng.choice(q.scale_points())
    if q.type == "number":
        return int(q.min or 0) + rng.randint(0, 5)
    return "contoh jawaban"


def _interview(engine: Interview, rng: random.Random) -> int:
    s = engine.new_session("id")
    engine.start(s)
    events = 1
    while s.state == "asking":
        q = engine.current(s)
        if q is None:  # the final check: send
            engine.finish(s)
        elif q.answerable:
            engine.answer(s, _value(q, rng))
        else:
            engine.skip(s)
        events += 1
    return events


def run(quick: bool = False) -> dict:
    """Complete many interviews of the real flow; report µs per event beside the copy floor."""
    engine = Interview(load_flow("ogmm-social-media"))
    rng = random.Random(7)
    n = 200 if quick else 2000
    per_event = []
    events_total = 0
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        events = _interview(engine, rng)
        per_event.append((time.perf_counter() - t0) / events)
        events_total += events
    elapsed = time.perf_counter() - started
    sample = {q.id: _value(q, rng) for q in engine.flow.questions if q.answerable}
    t0 = time.perf_counter()
    for _ in range(events_total):
        copy.deepcopy(sample)
    floor = (time.perf_counter() - t0) / events_total
    engine_us = statistics.median(per_event) * 1e6
    figures = {
        "interviews": n,
        "events": events_total,
        "events_per_second": round(events_total / elapsed),
        "engine_us_per_event_p50": round(engine_us, 1),
        "floor_us_copy_answers": round(floor * 1e6, 1),
        "ratio_to_floor": round(engine_us / (floor * 1e6), 2),
    }
    print(f"{'interviews':<28}{n:>12}")
    print(f"{'events':<28}{events_total:>12}")
    print(f"{'events/s':<28}{figures['events_per_second']:>12}")
    print(f"{'engine µs/event (p50)':<28}{figures['engine_us_per_event_p50']:>12}")
    print(f"{'floor µs (copy answers)':<28}{figures['floor_us_copy_answers']:>12}")
    print(f"{'ratio to floor':<28}{figures['ratio_to_floor']:>12}")
    return figures
