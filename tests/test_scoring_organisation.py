"""Several respondents, one organisation: medians, the organisation's level, disagreements."""

from __future__ import annotations

import json

import pytest

from scoring.assessment import assess
from scoring.organisation import OrganisationAssessment, combine
from tests.test_scoring_support import all_rated, answers_for, criteria_flow, make_flow

FLOW = criteria_flow()


def _person(**overrides: str | None) -> dict:
    ratings = all_rated("F")
    for cid in list(ratings):
        if cid.startswith(("L4", "L5")):
            ratings[cid] = "P"
    ratings.update({k.replace("_", ".", 1): v for k, v in overrides.items()})
    return answers_for(ratings)


def test_agreeing_respondents_give_their_common_level_and_no_disagreement() -> None:
    org = combine([(FLOW, _person()), (FLOW, _person()), (FLOW, _person())])
    assert isinstance(org, OrganisationAssessment)
    assert org.level == 3
    assert org.respondents == 3
    assert org.disagreements == ()
    assert org.criterion("L3.respond").fulfilment == 1.0


def test_the_combined_fulfilment_is_the_median() -> None:
    people = [(FLOW, _person(L3_respond=r)) for r in ("N", "L", "F")]
    org = combine(people)
    assert org.criterion("L3.respond").fulfilment == pytest.approx(0.7)
    assert org.criterion("L3.respond").rating == "L"
    assert org.level == 3


def test_respondents_without_evidence_are_left_out_of_the_median() -> None:
    people = [
        (FLOW, _person(L3_respond=None)),
        (FLOW, _person(L3_respond="P")),
        (FLOW, _person(L3_respond=None)),
    ]
    org = combine(people)
    assert org.criterion("L3.respond").rating == "P"
    assert org.respondents_per_criterion["L3.respond"] == 1
    assert org.level == 2


def test_a_criterion_nobody_could_answer_stays_unknown() -> None:
    org = combine([(FLOW, _person(L3_staff=None)), (FLOW, _person(L3_staff=None))])
    assert org.criterion("L3.staff").rating is None
    assert any(b.id == "L3.staff" and b.reason == "no_evidence" for b in org.blocking)


def test_ratings_two_bands_apart_are_a_disagreement() -> None:
    org = combine([(FLOW, _person(L3_follow_up="N")), (FLOW, _person(L3_follow_up="L"))])
    assert org.disagreements == ("L3.follow_up",)
    assert any("disagree" in n.en and "Following up input" in n.en for n in org.notes)
    assert any("berbeda pendapat" in n.id for n in org.notes)


def test_neighbouring_bands_are_not_a_disagreement() -> None:
    org = combine([(FLOW, _person(L3_follow_up="P")), (FLOW, _person(L3_follow_up="L"))])
    assert org.disagreements == ()


def test_to_dict_is_the_assessment_shape_plus_respondents_and_disagreements() -> None:
    org = combine([assess(FLOW, _person(L3_monitor="P")), assess(FLOW, _person(L3_monitor="F"))])
    data = org.to_dict()
    single = assess(FLOW, _person()).to_dict()
    assert set(single) <= set(data)
    assert data["respondents"] == 2
    assert data["disagreements"] == ["L3.monitor"]
    monitor = next(c for c in data["criteria"] if c["id"] == "L3.monitor")
    assert monitor["disagreement"] is True and monitor["respondents"] == 2
    json.dumps(data)


def test_combine_accepts_assessments_and_pairs_alike() -> None:
    a = combine([assess(FLOW, _person()), (FLOW, _person())])
    assert a.respondents == 2 and a.level == 3


def test_combine_needs_someone() -> None:
    with pytest.raises(ValueError):
        combine([])


def test_a_respondents_words_are_quoted_only_when_everyone_said_the_same() -> None:
    level2 = {c: 1.0 for c in ("L2.publish", "L2.high_value", "L2.quality", "L2.policy", "L2.use")}
    flow = make_flow(
        [
            {"id": "l2", "type": "single_choice", "choices": {"all": level2, "none": {}}},
            {
                "id": "hours",
                "type": "number",
                "min": 0,
                "max": 1000,
                "variable": "response_time_hours",
            },
            {
                "id": "sop",
                "type": "single_choice",
                "choices": {"none": {"L3.respond": 0.0}, "full": {"L3.respond": 1.0}},
            },
        ]
    )
    base = {"l2": "all", "sop": "none"}
    same = combine([(flow, {**base, "hours": 24}), (flow, {**base, "hours": 24})])
    differ = combine([(flow, {**base, "hours": 24}), (flow, {**base, "hours": 2})])

    def respond(org):
        return next(s for s in org.suggestions if s.criterion == "L3.respond").text.en

    assert "24 hours" in respond(same)
    assert "hours" not in respond(differ)
