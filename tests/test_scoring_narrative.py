"""The result in words: level, why, blockers, suggestions; both languages; fits in Telegram."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.assessment import assess
from scoring.criteria import load_model
from scoring.narrative import MAX_CHARS, render_text
from scoring.organisation import combine
from tests.test_scoring_support import all_rated, answers_for, criteria_flow

MODEL = load_model()
FLOW = criteria_flow()


def _sleman_like():
    ratings = all_rated("P")
    for cid in ratings:
        if cid.startswith(("L2", "L3")):
            ratings[cid] = "L"
    return assess(FLOW, answers_for(ratings))


def test_indonesian_text_names_the_level_why_blockers_and_first_steps() -> None:
    text = render_text(_sleman_like(), "id")
    assert text.startswith("Tingkat kematangan: 3 dari 5 — Partisipasi Terbuka")
    assert "Semua kriteria tingkat 2 dan 3 sudah sebagian besar atau sepenuhnya tercapai." in text
    assert "Yang menghambat tingkat 4" in text
    assert "• Produksi bersama: sebagian" in text and "(P)" not in text
    assert "Langkah pertama:" in text
    assert "Kelengkapan bukti: 100%" in text


def test_english_text_is_the_equivalent() -> None:
    text = render_text(_sleman_like(), "en")
    assert text.startswith("Maturity level: 3 of 5 — Open Participation")
    assert "What keeps level 4 out of reach" in text
    assert "• Co-production: partly" in text and "(P)" not in text
    assert "First step:" in text
    for word in ("Tingkat", "Saran", "Langkah"):
        assert word not in text


def test_level_one_explains_the_floor_and_unknown_blockers() -> None:
    ratings = all_rated("N")
    ratings["L2.use"] = None
    text = render_text(assess(FLOW, answers_for(ratings)), "en")
    assert "Maturity level: 1 of 5 — Initial Conditions" in text
    assert "Not every criterion of level 2 (Data Transparency) is achieved yet" in text
    assert "for 1 of them no answer gives evidence yet" in text
    assert "• Public use of the data: no answer gives evidence yet" in text


def test_level_five_has_no_blockers_section() -> None:
    text = render_text(assess(FLOW, answers_for(all_rated("F"))), "id")
    assert "menghambat" not in text and "tingkat tertinggi" in text


def test_the_flow_title_heads_the_text_when_given() -> None:
    assert render_text(_sleman_like(), "en", FLOW).startswith("Test\n")


def test_notes_appear_for_a_non_sequential_profile() -> None:
    ratings = all_rated("N")
    for cid in ratings:
        if cid.startswith("L3"):
            ratings[cid] = "F"
    text = render_text(assess(FLOW, answers_for(ratings)), "id")
    assert "Catatan\n• Tingkat 1, dengan unsur tingkat 3" in text


def test_an_organisation_says_how_many_respondents() -> None:
    org = combine([(FLOW, answers_for(all_rated("L"))), (FLOW, answers_for(all_rated("F")))])
    assert "Combined answers of 2 respondents." in render_text(org, "en")


@settings(max_examples=80, deadline=None)
@given(
    ratings=st.fixed_dictionaries(
        {cid: st.sampled_from(["N", "P", "L", "F", None]) for cid in all_rated(None)}
    ),
    lang=st.sampled_from(["id", "en"]),
)
def test_always_under_the_limit_with_short_lines_and_no_markup(ratings: dict, lang: str) -> None:
    a = assess(FLOW, answers_for(ratings))
    text = render_text(a, lang)
    assert len(text) <= MAX_CHARS
    assert "*" not in text and "<" not in text and "_" not in text
    assert text.count("\n\n") >= 2
