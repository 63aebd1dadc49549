"""Suggestions: a complete bilingual catalogue, lowest gap first, tailored, never left unfilled."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_flows.texts import LANGS
from scoring.assessment import assess
from scoring.catalogue import (
    PLACEHOLDERS,
    catalogue_problems,
    load_catalogue,
    parse_catalogue,
    placeholders,
)
from scoring.criteria import load_model
from tests.test_scoring_support import RATING_VALUE, all_rated, answers_for, make_flow, question_id

MODEL = load_model()


def criterion_items(a) -> list[str]:
    """The criterion suggestions of an assessment's plan (blockers and later levels), in order."""
    return [s.criterion for s in a.suggestions if s.kind in ("blocker", "next")]


CATALOGUE = load_catalogue()
LEVEL_OF = {c.id: c.level for c in MODEL.criteria}


def test_the_catalogue_covers_every_scored_criterion_and_rating_and_nothing_else() -> None:
    assert catalogue_problems(CATALOGUE, [(c.id, c.level) for c in MODEL.criteria]) == []
    assert set(CATALOGUE) == {c.id for c in MODEL.criteria if c.scored}


def test_there_is_no_suggestion_for_f() -> None:
    assert all("F" not in by_rating for by_rating in CATALOGUE.values())


def test_every_entry_exists_in_both_languages_and_they_differ() -> None:
    for cid, by_rating in CATALOGUE.items():
        for key, entry in by_rating.items():
            texts = [entry.text, entry.first_step] + [v.text for v in entry.variants]
            for t in texts:
                for lang in LANGS:
                    assert len(t.get(lang)) > 20, (cid, key, lang)
                assert t.id != t.en, (cid, key)


def test_variants_use_only_their_own_known_placeholders() -> None:
    for by_rating in CATALOGUE.values():
        for entry in by_rating.values():
            assert not placeholders(
                entry.text.id + entry.text.en + entry.first_step.id + entry.first_step.en
            )
            for v in entry.variants:
                used = placeholders(v.text.id) | placeholders(v.text.en)
                assert used <= set(v.when_variable) <= set(PLACEHOLDERS)


def test_a_placeholder_in_the_fallback_is_rejected() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        parse_catalogue(
            "L3.respond:\n  N: {text: {id: 'a {team_size}', en: b}, first_step: {id: c, en: d}}\n"
        )


def test_a_variant_using_an_undeclared_placeholder_is_rejected() -> None:
    doc = """
L3.respond:
  N:
    text: {id: a, en: b}
    first_step: {id: c, en: d}
    variants:
      - when_variable: team_size
        text: {id: "x {organisation}", en: "y {organisation}"}
"""
    with pytest.raises(ValueError, match="not in when_variable"):
        parse_catalogue(doc)


def test_a_catalogue_naming_an_unknown_criterion_is_reported() -> None:
    cat = dict(CATALOGUE)
    cat["L9.nope"] = CATALOGUE["L2.publish"]
    assert "L9.nope: no such criterion" in catalogue_problems(
        cat, [(c.id, c.level) for c in MODEL.criteria]
    )


# --- choice ---------------------------------------------------------------------------------------


def _flow_with_context():
    """The criteria flow plus the four context variables."""
    questions = [
        {"id": "organisation", "type": "text", "required": False, "variable": "organisation"},
        {
            "id": "team_size",
            "type": "number",
            "min": 0,
            "max": 500,
            "dont_know": True,
            "variable": "team_size",
        },
        {
            "id": "response_time_hours",
            "type": "number",
            "min": 0,
            "max": 1000,
            "integer": False,
            "dont_know": True,
            "variable": "response_time_hours",
        },
        {"id": "main_challenge", "type": "text", "required": False, "variable": "main_challenge"},
    ]
    for c in MODEL.criteria:
        if c.scored:
            questions.append(
                {
                    "id": question_id(c.id),
                    "type": "single_choice",
                    "dont_know": True,
                    "choices": {r.lower(): {c.id: v} for r, v in RATING_VALUE.items()},
                }
            )
    return make_flow(questions)


FLOW = _flow_with_context()


def test_suggestions_close_the_lowest_gap_first_at_most_five_never_f() -> None:
    ratings = all_rated("N")
    ratings.update({"L2.publish": "F", "L2.use": "L"})
    a = assess(FLOW, answers_for(ratings))
    chosen = criterion_items(a)
    assert len(chosen) == 5
    assert "L2.publish" not in chosen
    # The blockers of level 2 first (L2.use, rated L, does not block), then level 3's gaps.
    assert chosen[:3] == ["L2.high_value", "L2.quality", "L2.policy"]
    assert [LEVEL_OF[c] for c in chosen[3:]] == [3, 3]


def test_after_the_blockers_come_the_next_levels_criteria() -> None:
    ratings = all_rated("F")
    ratings.update({"L3.respond": "P", "L4.platform": "N", "L4.coproduce": "F", "L5.measured": "P"})
    chosen = criterion_items(assess(FLOW, answers_for(ratings)))
    assert chosen == ["L3.respond", "L4.platform"]  # level 5 is not the next level after 4


def test_at_level_five_what_is_not_yet_f_is_suggested() -> None:
    ratings = all_rated("F")
    ratings.update({"L3.staff": "L", "L2.use": "L"})
    a = assess(FLOW, answers_for(ratings))
    assert criterion_items(a) == ["L2.use", "L3.staff"]
    assert [s.kind for s in a.suggestions][2:] == ["upkeep"] * 3


def test_everything_f_gets_upkeep_not_nothing() -> None:
    a = assess(FLOW, answers_for(all_rated("F")))
    assert a.level == 5 and criterion_items(a) == []
    upkeep = [s for s in a.suggestions if s.kind == "upkeep"]
    assert len(upkeep) >= 2
    assert {s.addresses for s in upkeep} <= {c.id for c in MODEL.criteria}
    assert all(s.because for s in upkeep)


def test_unknown_criteria_get_their_unknown_suggestion() -> None:
    ratings = all_rated("F")
    ratings["L3.monitor"] = None
    (s,) = [s for s in assess(FLOW, answers_for(ratings)).suggestions if s.kind == "blocker"]
    assert s.criterion == "L3.monitor" and s.rating is None
    assert s.text == CATALOGUE["L3.monitor"]["unknown"].text


# --- tailoring ------------------------------------------------------------------------------------


def _l3_gaps(**context):
    ratings = all_rated("F")
    ratings.update({"L3.respond": "N", "L3.staff": "N"})
    return assess(FLOW, {**answers_for(ratings), **context})


def test_a_suggestion_quotes_the_stated_response_time() -> None:
    a = _l3_gaps(response_time_hours=48)
    respond = next(s for s in a.suggestions if s.criterion == "L3.respond")
    assert "48 jam" in respond.text.id and "48 hours" in respond.text.en


def test_an_indonesian_decimal_comma_for_fractional_hours() -> None:
    respond = next(
        s for s in _l3_gaps(response_time_hours=1.5).suggestions if s.criterion == "L3.respond"
    )
    assert "1,5 jam" in respond.text.id and "1.5 hours" in respond.text.en


@pytest.mark.parametrize(
    "context", [{}, {"response_time_hours": "dont_know"}, {"response_time_hours": None}]
)
def test_without_the_variable_the_plain_text_is_used(context: dict) -> None:
    respond = next(s for s in _l3_gaps(**context).suggestions if s.criterion == "L3.respond")
    assert respond.text == CATALOGUE["L3.respond"]["N"].text


def test_free_text_is_never_pasted_into_a_suggestion() -> None:
    typed = {
        "main_challenge": "Jumlah personel tidak sebanding dengan banyaknya pertanyaan publik {x}",
        "organisation": "The city government's Smart City Office (under Diskominfo) of a large city.",
    }
    a = _l3_gaps(**typed)
    assert a.suggestions
    for s in a.suggestions:
        for lang in LANGS:
            for text in (s.text.get(lang), s.first_step.get(lang), s.why.get(lang) if s.why else ""):
                for typed_text in typed.values():
                    assert typed_text not in text and typed_text[:25] not in text


_context = st.fixed_dictionaries(
    {},
    optional={
        "organisation": st.sampled_from(["Diskominfo Sleman", "Kemlu RI", "dont_know"]),
        "team_size": st.one_of(st.integers(0, 500), st.just("dont_know")),
        "response_time_hours": st.one_of(st.floats(0, 1000, allow_nan=False), st.just("dont_know")),
        "main_challenge": st.text(min_size=1, max_size=300),
    },
)
_ratings = st.fixed_dictionaries(
    {cid: st.sampled_from(["N", "P", "L", "F", None]) for cid in all_rated(None)}
)


@settings(max_examples=150, deadline=None)
@given(ratings=_ratings, context=_context)
def test_every_placeholder_is_filled(ratings: dict, context: dict) -> None:
    a = assess(FLOW, {**answers_for(ratings), **context})
    assert len(a.suggestions) <= 5
    for s in a.suggestions:
        assert s.rating != "F" or s.kind == "strength"
        assert s.criterion in LEVEL_OF or (s.kind == "theme" and s.criterion is None)
        for lang in LANGS:
            for text in (s.text.get(lang), s.first_step.get(lang)):
                assert not placeholders(text), text


def test_every_variant_is_reachable_and_fills_completely() -> None:
    # With every variable given, each variant's text comes out with no placeholder left.
    from interview_flows.texts import Text
    from scoring.suggestions import _tailor

    values = {name: Text(id=f"<{name}>", en=f"<{name}>") for name in PLACEHOLDERS}
    for cid, by_rating in CATALOGUE.items():
        for key, entry in by_rating.items():
            s = _tailor(cid, key, entry, values)
            for lang in LANGS:
                assert not placeholders(s.text.get(lang) + s.first_step.get(lang))
            if entry.variants:
                assert s.text != entry.text
