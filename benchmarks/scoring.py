"""Scoring: completed sessions of the real flow assessed per second, beside a floor in the same run.

The sessions are random but valid and deterministic (seeded): each question is answered in flow
order when its ``relevant`` condition holds, with "don't know" and skips now and then. The floor
is what handling a stored session costs anyway: decoding its answers from JSON (how the store
keeps them) and, cheaper still, copying the answer dicts. ``assess`` does the whole job:
relevance, evidence, ratings, level rule, profile, blockers, suggestions and notes.

Run: ``python -m benchmarks scoring [--quick]``.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from typing import Any

from interview_flows.expressions import parse
from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
from interview_flows.schema import DONT_KNOW, Flow, Question
from scoring.assessment import assess

SESSIONS = 10_000
QUICK_SESSIONS = 1_000
SEED = 20260523
TEXTS = (
    "Kami punya SOP tanggapan dan diteruskan ke SP4N-LAPOR!",
    "Belum ada prosedur tertulis, dijawab kalau sempat.",
    "Kolaborasi dengan komunitas dan kampus untuk kampanye bersama.",
    "Tidak ada.",
)


def make_sessions(flow: Flow, n: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``n`` completed sessions (question id to answer), the same for the same seed."""
    rng = random.Random(seed)
    conditions = {q.id: parse(q.relevant) for q in flow.questions if q.relevant}
    sessions = []
    for _ in range(n):
        answers: dict[str, Any] = {}
        known: dict[str, Any] = {}  # what conditions see: no "don't know"
        for q in flow.questions:
            if not q.answerable:
                continue
            cond = conditions.get(q.id)
            if cond is not None and not cond.evaluate(known):
                continue
            if not q.required and rng.random() < 0.1:
                continue  # skipped
            if q.dont_know and rng.random() < 0.08:
                answers[q.id] = DONT_KNOW
                continue
            value = _value(q, rng)
            answers[q.id] = value
            known[q.id] = value
        sessions.append(answers)
    return sessions


def _value(q: Question, rng: random.Random) -> Any:
    if q.type in ("single_choice", "yes_no"):
        return rng.choice(q.choices).value
    if q.type == "multiple_choice":
        plain = [c.value for c in q.choices if not c.exclusive]
        exclusive = [c.value for c in q.choices if c.exclusive]
        if exclusive and rng.random() < 0.15:
            return [rng.choice(exclusive)]
        picked = set(rng.sample(plain, rng.randint(1, len(plain))))
        return [c.value for c in q.choices if c.value in picked]  # stored in flow order
    if q.type == "scale":
        return rng.choice(q.scale_points())
    if q.type == "number":
        low = q.min if q.min is not None else 0
        high = q.max if q.max is not None else low + 100
        high = min(high, low + 200)
        return rng.randint(int(low), int(high)) if q.integer else round(rng.uniform(low, high), 1)
    return rng.choice(TEXTS)[: q.max_length]


def _time(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(quick: bool = False) -> dict:
    """Assess 10,000 (quick: 1,000) generated sessions of the real flow; rates beside floors."""
    flow = load_flow(DEFAULT_FLOW_ID)
    n = QUICK_SESSIONS if quick else SESSIONS
    sessions = make_sessions(flow, n)
    encoded = [json.dumps(s, ensure_ascii=False) for s in sessions]
    assess(flow, sessions[0])  # compile the flow and load the data files outside the timing

    t_json = _time(lambda: [json.loads(e) for e in encoded])
    t_copy = _time(lambda: [copy.deepcopy(s) for s in sessions])
    t_assess = _time(lambda: [assess(flow, s) for s in sessions])
    t_full = _time(
        lambda: [
            json.dumps(assess(flow, json.loads(e)).to_dict(), ensure_ascii=False) for e in encoded
        ]
    )
    levels = [0] * 6
    for s in sessions[: min(n, 2000)]:
        levels[assess(flow, s).level] += 1

    def per_s(t: float) -> int:
        return round(n / t)

    figures = {
        "flow": f"{flow.id} {flow.version}",
        "sessions": n,
        "answers_per_session": round(sum(len(s) for s in sessions) / n, 1),
        "assess_sessions_per_s": per_s(t_assess),
        "assess_us_per_session": round(t_assess / n * 1e6, 1),
        "end_to_end_sessions_per_s": per_s(t_full),
        "floor_json_decode_per_s": per_s(t_json),
        "floor_deepcopy_per_s": per_s(t_copy),
        "ratio_assess_to_json_floor": round(t_assess / t_json, 1),
        "ratio_assess_to_copy_floor": round(t_assess / t_copy, 1),
        "level_histogram_sample": {str(lv): levels[lv] for lv in range(1, 6)},
    }
    rows = [
        ("sessions", f"{n:,}"),
        ("answers per session", figures["answers_per_session"]),
        ("assess: sessions/s", f"{figures['assess_sessions_per_s']:,}"),
        ("assess: µs/session", figures["assess_us_per_session"]),
        ("json → assess → json: sessions/s", f"{figures['end_to_end_sessions_per_s']:,}"),
        ("floor, json decode: sessions/s", f"{figures['floor_json_decode_per_s']:,}"),
        ("floor, deepcopy: sessions/s", f"{figures['floor_deepcopy_per_s']:,}"),
        ("assess / json floor", f"{figures['ratio_assess_to_json_floor']}×"),
        ("assess / copy floor", f"{figures['ratio_assess_to_copy_floor']}×"),
    ]
    width = max(len(r[0]) for r in rows) + 2
    for label, value in rows:
        print(f"{label:<{width}}{value:>12}")
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=False), ensure_ascii=False))
