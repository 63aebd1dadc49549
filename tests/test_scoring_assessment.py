"""The assessment: its JSON shape (design.md), profile, confidence, blockers and honest notes."""

from __future__ import annotations

import json

import pytest

from scoring.assessment import assess
from scoring.criteria import load_model
from tests.test_scoring_support import all_rated, answers_for, criteria_flow, make_flow

MODEL = load_model()
FLOW = criteria_flow()


def test_to_dict_has_exactly_the_design_shape() -> None:
    data = assess(FLOW, answers_for(all_rated("L"))).to_dict()
    assert set(data) == {
        "level",
        "level_name",
        "levels",
        "criteria",
        "profile",
        "confidence",
        "blocking",
        "themes",
        "suggestions",
        "notes",
    }
    assert data["level"] == 5
    assert data["level_name"] == {"id": "Keterlibatan Menyeluruh", "en": "Ubiquitous Engagement"}
    assert [lv["level"] for lv in data["levels"]] == [1, 2, 3, 4, 5]
    assert set(data["levels"][0]) == {"level", "fulfilment", "achieved"}
    assert set(data["criteria"][0]) == {"id", "level", "rating", "fulfilment", "evidence"}
    assert set(data["profile"]) == {"capability", "outcome"}
    assert set(data["suggestions"][0]) == {
        "kind", "addresses", "because", "why", "criterion", "rating", "text", "first_step"
    }
    assert set(data["suggestions"][0]["text"]) == {"id", "en"}
    json.dumps(data)  # JSON-ready


def test_criteria_list_the_scored_criteria_with_their_evidence() -> None:
    data = assess(FLOW, answers_for(all_rated("P"))).to_dict()
    ids = [c["id"] for c in data["criteria"]]
    assert ids == [
        c.id for c in MODEL.criteria if c.scored
    ]  # level-1 criteria have no evidence here
    first = data["criteria"][0]
    assert first == {
        "id": "L2.publish",
        "level": 2,
        "rating": "P",
        "fulfilment": 0.3,
        "evidence": ["q_l2_publish"],
    }


def test_unknown_criteria_have_null_rating_and_lower_the_confidence() -> None:
    ratings = all_rated("F")
    for cid in ("L5.measured", "L5.anywhere"):
        ratings[cid] = None
    a = assess(FLOW, answers_for(ratings))
    data = a.to_dict()
    by_id = {c["id"]: c for c in data["criteria"]}
    assert by_id["L5.measured"]["rating"] is None and by_id["L5.measured"]["fulfilment"] is None
    assert data["confidence"] == pytest.approx(17 / 19, abs=1e-3)
    assert data["level"] == 4
    blockers = {b["id"]: b for b in data["blocking"]}
    assert blockers["L5.measured"]["reason"] == "no_evidence"
    assert blockers["L5.measured"]["name"] == {
        "id": "Diukur berkelanjutan",
        "en": "Continuously measured",
    }


def test_levels_report_mean_fulfilment_of_criteria_with_evidence() -> None:
    ratings = all_rated("F")
    ratings["L2.use"] = "N"
    ratings["L2.policy"] = None
    levels = {lv["level"]: lv for lv in assess(FLOW, answers_for(ratings)).to_dict()["levels"]}
    assert levels[2]["fulfilment"] == pytest.approx(
        0.75
    )  # (1 + 1 + 1 + 0) / 4, the unknown left out
    assert levels[2]["achieved"] is False
    assert levels[3]["achieved"] is True
    assert levels[1] == {"level": 1, "fulfilment": None, "achieved": True}


def test_profile_applies_the_rule_to_capability_and_outcome_separately() -> None:
    ratings = all_rated("L")
    for c in MODEL.criteria:
        if c.facet == "O" and c.level == 3:
            ratings[c.id] = "P"  # L3.follow_up: the outcome lags
    a = assess(FLOW, answers_for(ratings))
    assert a.level == 2
    assert a.profile.capability == 5
    assert a.profile.outcome == 2
    assert any("outcome" in n.en for n in a.notes)


def test_a_non_sequential_profile_gets_an_honest_note_in_both_languages() -> None:
    ratings = all_rated("N")
    for c in MODEL.criteria:
        if c.level == 3:
            ratings[c.id] = "L"
    a = assess(FLOW, answers_for(ratings))
    assert a.level == 1
    note = a.notes[0]
    assert note.en.startswith("Level 1, with elements of level 3")
    assert note.id.startswith("Tingkat 1, dengan unsur tingkat 3")


def test_no_note_when_the_profile_is_sequential() -> None:
    ratings = all_rated("N")
    for c in MODEL.criteria:
        if c.level == 2:
            ratings[c.id] = "F"
    assert assess(FLOW, answers_for(ratings)).notes == ()


def test_strict_rule_note_when_the_next_level_is_met_but_lower_ones_are_not_f() -> None:
    strict = MODEL.model_copy(update={"rule": "strict"})
    ratings = {
        cid: ("L" if cid.startswith("L2") else "F" if cid.startswith("L3") else "N")
        for cid in all_rated("N")
    }
    a = assess(FLOW, answers_for(ratings), strict)
    assert a.level == 2
    assert a.notes and "elements of level 3" in a.notes[0].en
    assert {b.reason for b in a.blocking} == {"below_F"}


def test_low_confidence_is_noted() -> None:
    ratings = {cid: None for cid in all_rated(None)}
    ratings["L2.publish"] = "F"
    a = assess(FLOW, answers_for(ratings))
    assert a.confidence == pytest.approx(1 / 19)
    assert any("provisional" in n.en for n in a.notes)
    assert any("sementara" in n.id for n in a.notes)


def test_level_one_criteria_are_listed_when_answers_speak_to_them() -> None:
    flow = make_flow(
        [
            {
                "id": "team",
                "type": "single_choice",
                "choices": {"unit": {"L1.team": 1.0}, "side": {"L1.team": 0.3}},
            },
        ]
    )
    data = assess(flow, {"team": "unit"}).to_dict()
    assert data["criteria"][0]["id"] == "L1.team"
    assert data["levels"][0]["fulfilment"] == 1.0
    assert data["confidence"] == 0.0  # level-1 criteria are not scored


def test_assessment_is_immutable() -> None:
    a = assess(FLOW, {})
    with pytest.raises(AttributeError):
        a.level = 3  # type: ignore[misc]
