"""Ratings: ISO/IEC 33020 bands, evidence of each kind of answer, weighted means, skip logic."""

from __future__ import annotations

import pytest

from scoring.ratings import answer_evidence, at_least, effective_answers, rate, rating_for
from tests.test_scoring_support import make_flow


@pytest.mark.parametrize(
    ("fulfilment", "rating"),
    [
        (0.0, "N"),
        (0.15, "N"),
        (0.1500001, "P"),
        (0.5, "P"),
        (0.5000001, "L"),
        (0.85, "L"),
        (0.8500001, "F"),
        (1.0, "F"),
    ],
)
def test_rating_bands_at_every_boundary(fulfilment: float, rating: str) -> None:
    assert rating_for(fulfilment) == rating


def test_a_band_edge_reached_by_a_float_mean_stays_on_its_side() -> None:
    # (0.1 + 0.2) / 2 is 0.15000000000000002 in binary floating point: still N, as the scale says.
    assert rating_for((0.1 + 0.2) / 2) == "N"
    assert rating_for((0.7 + 1.0) / 2) == "L"  # 0.85 exactly


def test_no_evidence_is_unknown_not_n() -> None:
    assert rating_for(None) is None
    assert not at_least(None, "N")


def _one(q: dict) -> dict:
    return make_flow([q]).question(q["id"])


def test_single_choice_gives_that_choice_evidence() -> None:
    q = _one(
        {
            "id": "a",
            "type": "single_choice",
            "dont_know": True,
            "choices": {"x": {"L3.respond": 0.6, "L3.staff": 0.2}, "y": {}},
        }
    )
    assert answer_evidence(q, "x") == {"L3.respond": 0.6, "L3.staff": 0.2}
    assert answer_evidence(q, "y") == {}
    assert answer_evidence(q, "dont_know") == {}


@pytest.mark.parametrize(("combine", "expected"), [("max", 0.7), ("mean", 0.5), ("sum", 1.0)])
def test_multiple_choice_combines_selected_choices(combine: str, expected: float) -> None:
    q = _one(
        {
            "id": "m",
            "type": "multiple_choice",
            "combine": combine,
            "choices": {
                "a": {"L3.solicit": 0.3},
                "b": {"L3.solicit": 0.7},
                "c": {"L2.publish": 1.0},
            },
        }
    )
    ev = answer_evidence(q, ["a", "b"])
    assert ev == {"L3.solicit": pytest.approx(expected)}


def test_multiple_choice_sum_is_capped_at_one_and_combines_per_criterion() -> None:
    q = _one(
        {
            "id": "m",
            "type": "multiple_choice",
            "combine": "sum",
            "choices": {"a": {"L3.solicit": 0.6}, "b": {"L3.solicit": 0.6, "L2.use": 0.2}},
        }
    )
    assert answer_evidence(q, ["a", "b"]) == {"L3.solicit": 1.0, "L2.use": 0.2}


def test_number_uses_the_first_matching_rule() -> None:
    q = _one(
        {
            "id": "hours",
            "type": "number",
            "min": 0,
            "max": 1000,
            "integer": False,
            "evidence_rules": [
                {"max": 2, "evidence": {"L3.respond": 1.0}},
                {"min": 2, "max": 24, "evidence": {"L3.respond": 0.6}},
                {"min": 24, "evidence": {"L3.respond": 0.2}},
            ],
        }
    )
    assert answer_evidence(q, 1.5) == {"L3.respond": 1.0}
    assert answer_evidence(q, 2) == {"L3.respond": 1.0}  # first rule wins on a shared bound
    assert answer_evidence(q, 10) == {"L3.respond": 0.6}
    assert answer_evidence(q, 500) == {"L3.respond": 0.2}


def test_scale_uses_rules_and_an_unmatched_value_gives_nothing() -> None:
    q = _one(
        {
            "id": "sc",
            "type": "scale",
            "min": 1,
            "max": 5,
            "evidence_rules": [
                {"min": 4, "max": 5, "evidence": {"L5.measured": 0.9}},
            ],
        }
    )
    assert answer_evidence(q, 5) == {"L5.measured": 0.9}
    assert answer_evidence(q, 2) == {}


def test_text_matches_keywords_case_insensitively_first_rule_wins() -> None:
    q = _one(
        {
            "id": "t",
            "type": "text",
            "evidence_rules": [
                {"keywords": ["LAPOR"], "evidence": {"L3.follow_up": 0.8}},
                {"keywords": ["sop", "prosedur"], "evidence": {"L3.respond": 0.7}},
            ],
        }
    )
    assert answer_evidence(q, "Kami teruskan ke SP4N-Lapor! dan ada SOP") == {"L3.follow_up": 0.8}
    assert answer_evidence(q, "Ada PROSEDUR tertulis") == {"L3.respond": 0.7}
    assert answer_evidence(q, "tidak ada") == {}


def _flow_two_questions(weight_b: float = 1.0):
    return make_flow(
        [
            {
                "id": "a",
                "type": "single_choice",
                "dont_know": True,
                "choices": {"hi": {"L3.respond": 1.0}, "lo": {"L3.respond": 0.0}},
            },
            {
                "id": "b",
                "type": "single_choice",
                "dont_know": True,
                "weight": weight_b,
                "choices": {"hi": {"L3.respond": 1.0}, "lo": {"L3.respond": 0.0}},
            },
        ]
    )


def test_fulfilment_is_the_weighted_mean_of_answered_questions() -> None:
    results = rate(_flow_two_questions(weight_b=3.0), {"a": "hi", "b": "lo"})
    assert results["L3.respond"].fulfilment == pytest.approx(0.25)
    assert results["L3.respond"].evidence == ("a", "b")


def test_dont_know_and_skipped_questions_give_no_evidence() -> None:
    flow = _flow_two_questions()
    assert rate(flow, {"a": "hi", "b": "dont_know"})["L3.respond"].fulfilment == 1.0
    assert rate(flow, {"a": "hi"})["L3.respond"].evidence == ("a",)
    unknown = rate(flow, {"a": "dont_know", "b": None})["L3.respond"]
    assert unknown.fulfilment is None and unknown.rating is None and unknown.evidence == ()


def test_every_model_criterion_is_reported_even_without_questions() -> None:
    results = rate(_flow_two_questions(), {})
    assert "L5.measured" in results and results["L5.measured"].rating is None


def _skip_flow():
    return make_flow(
        [
            {
                "id": "has_sop",
                "type": "yes_no",
                "dont_know": True,
                "choices": {"yes": {"L3.respond": 0.5}, "no": {"L3.respond": 0.0}},
            },
            {
                "id": "sop_targets",
                "type": "yes_no",
                "relevant": "has_sop == 'yes'",
                "choices": {"yes": {"L3.respond": 1.0}, "no": {"L3.respond": 0.3}},
            },
            {
                "id": "targets_met",
                "type": "yes_no",
                "relevant": "sop_targets == 'yes'",
                "choices": {"yes": {"L5.measured": 1.0}, "no": {"L5.measured": 0.0}},
            },
        ]
    )


def test_answers_to_questions_whose_condition_is_false_are_ignored() -> None:
    flow = _skip_flow()
    answers = {"has_sop": "no", "sop_targets": "yes", "targets_met": "yes"}
    results = rate(flow, answers)
    assert results["L3.respond"].fulfilment == 0.0
    assert results["L3.respond"].evidence == ("has_sop",)
    # targets_met depended on sop_targets, which was itself not asked: ignored too.
    assert results["L5.measured"].rating is None
    assert effective_answers(flow, answers) == {"has_sop": "no"}


def test_a_dont_know_answer_has_no_value_in_conditions() -> None:
    flow = _skip_flow()
    results = rate(flow, {"has_sop": "dont_know", "sop_targets": "yes"})
    assert results["L3.respond"].rating is None


def test_answers_to_relevant_questions_count() -> None:
    results = rate(_skip_flow(), {"has_sop": "yes", "sop_targets": "yes", "targets_met": "no"})
    assert results["L3.respond"].fulfilment == pytest.approx(0.75)
    assert results["L5.measured"].fulfilment == 0.0


def test_values_of_the_wrong_type_give_no_evidence_rather_than_crash() -> None:
    flow = make_flow(
        [
            {
                "id": "n",
                "type": "number",
                "evidence_rules": [{"min": 0, "evidence": {"L3.staff": 1.0}}],
            },
            {"id": "c", "type": "single_choice", "choices": {"x": {"L3.staff": 1.0}, "y": {}}},
        ]
    )
    assert rate(flow, {"n": "many", "c": ["x"]})["L3.staff"].rating is None
    assert rate(flow, {"n": True})["L3.staff"].rating is None


def test_the_same_flow_object_is_compiled_once() -> None:
    from scoring import ratings

    flow = _skip_flow()
    rate(flow, {})
    plan = ratings._plan(flow)
    rate(flow, {"has_sop": "yes"})
    assert ratings._plan(flow) is plan
