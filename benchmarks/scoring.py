"""Scoring: completed sessions of the real flow assessed per second, beside a floor in the same run.

The sessions are random but valid and deterministic (seeded): each question is answered in flow
order when its ``relevant`` condition holds, with "don't know" and skips now and then. Open
answers are then written the way respondents write them (:func:`with_open_answers`): names of
agencies and units, and for the open questions one or two sentences of the labelled answers of
``data/themes.yaml`` (obstacles, negations, typos, both languages), sometimes with a probe's
follow-up. Single answers recur (a few hundred sentences and names), as words and phrases do in
life, but nothing in scoring keeps a result keyed on a whole text; the theme matcher reads in full
every answer where a respondent names an obstacle. The floor
is what handling a stored session costs anyway: decoding its answers from JSON (how the store
keeps them) and, cheaper still, copying the answer dicts. ``assess`` does the whole job:
relevance, evidence, ratings, level rule, profile, blockers, suggestions and notes.

Run: ``python -m benchmarks scoring [--quick] [--compiled | --installed]``: the build it measured
(plain Python in an editable install, mypyc-compiled in a wheel; see setup.py) is the first row.
From an editable install it measures the plain build, then the wheel's compiled one.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import scoring
from benchmarks import print_rows
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
    """``n`` completed sessions (question id to answer), the same for the same seed.

    Free-text answers are one of four short sentences here; :func:`with_open_answers` rewrites
    them. (tests/golden_scoring.py builds its inputs on this function: it must keep drawing the
    same numbers.)
    """
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


LABELLED = Path(__file__).with_name("data") / "themes.yaml"
_AGENCIES = (
    "Dinas Komunikasi dan Informatika",
    "Diskominfo",
    "Bagian Protokol dan Komunikasi Pimpinan",
    "Dinas Kesehatan",
    "Badan Pendapatan Daerah",
    "Sekretariat Daerah",
    "Dinas Pendidikan",
    "Kantor Pertanahan",
)
_PLACES = (
    "Kabupaten Sleman", "Kota Bandung", "Provinsi Jawa Timur", "Kabupaten Banyuwangi", "Kota Makassar",
    "Kabupaten Kutai Kartanegara", "Kota Ambon", "Provinsi Papua Barat", "Kabupaten Lombok Timur",
    "Kota Padang", "Kabupaten Sumba Barat Daya", "Kota Pontianak",
)  # fmt: skip
_UNITS = (
    "Bidang Informasi dan Komunikasi Publik", "Humas", "Seksi Pengelolaan Media Sosial", "Tim PPID",
    "Subbagian Hubungan Masyarakat", "Bidang Layanan Pengaduan", "UPT Layanan Informasi",
)  # fmt: skip
_OTHERS = ("Podcast", "Radio daerah", "Pengelola konten", "Spotify", "Papan informasi", "Telegram", "Pranata humas")


def with_open_answers(flow: Flow, sessions: list[dict[str, Any]], seed: int = SEED) -> list[dict[str, Any]]:
    """The sessions with their free-text answers written as respondents write them (a copy).

    ``organisation`` and ``unit``: an agency in a place, a unit (they recur, as in a survey of a
    few hundred agencies); the ``…_other`` answers: a few words; every other open answer: one or
    two sentences of the labelled answers in the session's language (four sessions in five in
    Bahasa Indonesia), a quarter of the probed ones with the follow-up's answer as a second part.
    An example asked for ("how …", "describe one …") names no obstacle three times in five; the
    obstacle, why and anything-else questions draw from all the answers. "Don't know" stays.
    """
    rng = random.Random(seed + 1)
    answers = yaml.safe_load(LABELLED.read_text("utf-8"))["answers"]
    by_lang = {lang: [a["text"] for a in answers if a["lang"] == lang] for lang in ("id", "en")}
    plain = {lang: [a["text"] for a in answers if a["lang"] == lang and not a["themes"]] for lang in ("id", "en")}
    texts = [q for q in flow.questions if q.type == "text"]
    out = []
    for session in sessions:
        session = dict(session)
        lang = "id" if rng.random() < 0.8 else "en"
        for q in texts:
            if q.id not in session or session[q.id] == DONT_KNOW:
                continue
            if q.id == "organisation":
                value: Any = f"{rng.choice(_AGENCIES)} {rng.choice(_PLACES)}"
            elif q.id == "unit":
                value = rng.choice(_UNITS)
            elif q.id.endswith("_other"):
                value = rng.choice(_OTHERS)
            else:
                example = q.id.endswith(("_example", "_how")) and rng.random() < 0.6
                pool = (plain if example else by_lang)[lang]
                value = " ".join(rng.sample(pool, rng.randint(1, 2)))[: q.max_length]
                if q.probe is not None and rng.random() < 0.25:
                    value = {"parts": [{"kind": "text", "text": value}, {"kind": "probe", "text": rng.choice(pool)}]}
            session[q.id] = value
        out.append(session)
    return out


def _time(fn: Callable[[Any], Any], items: list[Any]) -> float:
    """Seconds to call ``fn`` on every item, each result dropped as it is made.

    The bot and the exports drop an assessment once it is stored or written; a list holding ten
    thousand of them would make the garbage collector walk an ever larger heap, a cost of the
    benchmark and not of the work (it was a fifth of the measured time).
    """
    started = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - started


def run(quick: bool = False) -> dict:
    """Assess 10,000 (quick: 1,000) generated sessions of the real flow; rates beside floors."""
    flow = load_flow(DEFAULT_FLOW_ID)
    n = QUICK_SESSIONS if quick else SESSIONS
    sessions = with_open_answers(flow, make_sessions(flow, n))
    encoded = [json.dumps(s, ensure_ascii=False) for s in sessions]
    assess(flow, sessions[0])  # compile the flow and load the data files outside the timing

    t_json = _time(json.loads, encoded)
    t_copy = _time(copy.deepcopy, sessions)
    t_assess = _time(lambda s: assess(flow, s), sessions)
    t_full = _time(lambda e: json.dumps(assess(flow, json.loads(e)).to_dict(), ensure_ascii=False), encoded)
    levels = [0] * 6
    for s in sessions[: min(n, 2000)]:
        levels[assess(flow, s).level] += 1

    def per_s(t: float) -> int:
        return round(n / t)

    figures = {
        "flow": f"{flow.id} {flow.version}",
        "build": scoring.build(),
        "sessions": n,
        "answers_per_session": round(sum(len(s) for s in sessions) / n, 1),
        "distinct_open_answers": len(
            {json.dumps(s[q], ensure_ascii=False) for s in sessions for q in s if flow.question(q).type == "text"}
        ),
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
        ("scoring build", figures["build"]),
        ("sessions", f"{n:,}"),
        ("answers per session", figures["answers_per_session"]),
        ("distinct open answers", f"{figures['distinct_open_answers']:,}"),
        ("assess: sessions/s", f"{figures['assess_sessions_per_s']:,}"),
        ("assess: µs/session", figures["assess_us_per_session"]),
        ("json → assess → json: sessions/s", f"{figures['end_to_end_sessions_per_s']:,}"),
        ("floor, json decode: sessions/s", f"{figures['floor_json_decode_per_s']:,}"),
        ("floor, deepcopy: sessions/s", f"{figures['floor_deepcopy_per_s']:,}"),
        ("assess / json floor", f"{figures['ratio_assess_to_json_floor']}×"),
        ("assess / copy floor", f"{figures['ratio_assess_to_copy_floor']}×"),
    ]
    print_rows(rows)
    if figures["build"] == "python":
        print("(plain Python, as an editable install runs it; a wheel and the Docker image compile scoring)")
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=False), ensure_ascii=False))
