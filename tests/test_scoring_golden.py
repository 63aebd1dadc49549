"""Scoring gives exactly what it gave before it was made faster (issue 17).

The golden file (tests/golden_scoring.py) was written by the code before the speed-up: the two
seed cases in both flow versions, 800 generated sessions whose free-text answers are full of cue
words, typos, negations, capitals, non-ASCII letters and answers in parts, organisations combined
from them, and 4,000 texts. Every field of every assessment (level, ratings with exact
fulfilment, themes with their spans, the advice plan, notes), the result in words in both
languages, and each text's theme matches must be the same today.
"""

from __future__ import annotations

import pytest

from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
from scoring.answer_file import score_answers
from scoring.assessment import assess
from scoring.narrative import render_text
from scoring.organisation import combine
from scoring.themes import match_text
from tests.golden_scoring import canonical, make_inputs, read_golden


@pytest.fixture(scope="module")
def golden() -> list[dict]:
    return read_golden()


def _sessions(golden: list[dict]) -> list[dict]:
    return [r for r in golden if r["kind"] == "session"]


def _assess(s: dict):
    """The assessment of one golden session: a seed case through its answer file, else assess()."""
    flow = load_flow(DEFAULT_FLOW_ID, s["version"])
    if s["case"] is not None:
        return flow, score_answers(flow, s["answers"], "en")[0]
    return flow, assess(flow, s["answers"])


def test_the_golden_inputs_are_what_the_generator_makes(golden: list[dict]) -> None:
    # The file holds its inputs, so this only guards the generator for the day it is rewritten.
    sessions, texts = make_inputs()
    assert [r["input"] for r in _sessions(golden)] == sessions
    assert [r["input"] for r in golden if r["kind"] == "text"] == texts


def test_every_session_is_assessed_as_before(golden: list[dict]) -> None:
    records = _sessions(golden)
    assert len(records) > 800
    themed = 0
    for r in records:
        s = r["input"]
        flow, a = _assess(s)
        assert canonical(a) == r["assessment"], s
        assert {lang: render_text(a, lang, flow) for lang in ("id", "en")} == r["text"], s
        themed += any(src["start"] is not None for t in r["assessment"]["themes"] for src in t["sources"])
    assert themed > 400  # the set really exercises the matcher


def test_organisations_are_combined_as_before(golden: list[dict]) -> None:
    sessions = _sessions(golden)
    orgs = [r for r in golden if r["kind"] == "organisation"]
    assert orgs
    for r in orgs:
        lo, hi = r["input"]
        org = combine([_assess(s["input"])[1] for s in sessions[lo:hi]])
        assert canonical(org) | {"org": org.to_dict()} == r["assessment"]
        assert {lang: render_text(org, lang) for lang in ("id", "en")} == r["text"]


def test_every_text_names_the_same_themes_at_the_same_spans(golden: list[dict]) -> None:
    texts = [r for r in golden if r["kind"] == "text"]
    assert len(texts) == 4000
    assert sum(bool(r["matches"]) for r in texts) > 1000
    for r in texts:
        assert [list(m) for m in match_text(r["input"])] == r["matches"], r["input"]
