"""The level rule (ogmm.md §3.2), lenient and strict, at every boundary; unknown criteria block."""

from __future__ import annotations

import pytest

from scoring.assessment import assess
from scoring.criteria import load_model
from scoring.levels import blocking, own_criteria_met, reached_level
from tests.test_scoring_support import all_rated, answers_for, criteria_flow, make_flow

MODEL = load_model()
STRICT = MODEL.model_copy(update={"rule": "strict"})
SCORED = [c for c in MODEL.criteria if c.scored]


def ratings_upto(level: int, rating: str, rest: str = "N") -> dict[str, str | None]:
    """Criteria of levels 2..level rated ``rating``; the others ``rest``."""
    return {c.id: (rating if c.level <= level else rest) for c in SCORED}


@pytest.mark.parametrize("rule", ["lenient", "strict"])
def test_level_one_is_the_floor(rule: str) -> None:
    assert reached_level(all_rated("N"), SCORED, rule) == 1
    assert reached_level(all_rated(None), SCORED, rule) == 1


@pytest.mark.parametrize("rule", ["lenient", "strict"])
@pytest.mark.parametrize("level", [2, 3, 4, 5])
def test_all_f_up_to_a_level_reaches_it(rule: str, level: int) -> None:
    assert reached_level(ratings_upto(level, "F"), SCORED, rule) == level


@pytest.mark.parametrize("level", [2, 3, 4, 5])
def test_lenient_needs_at_least_l_everywhere_below(level: int) -> None:
    assert reached_level(ratings_upto(level, "L"), SCORED, "lenient") == level
    ratings = ratings_upto(level, "L")
    one = next(c.id for c in SCORED if c.level == level)
    ratings[one] = "P"
    assert reached_level(ratings, SCORED, "lenient") == level - 1


@pytest.mark.parametrize("level", [3, 4, 5])
def test_strict_needs_f_below_and_l_at_the_level(level: int) -> None:
    ratings = {c.id: ("F" if c.level < level else "L" if c.level == level else "N") for c in SCORED}
    assert reached_level(ratings, SCORED, "strict") == level
    # One lower criterion only L: the strict rule stops one level below that criterion's level + 1.
    low = next(c.id for c in SCORED if c.level == 2)
    ratings[low] = "L"
    assert reached_level(ratings, SCORED, "strict") == 2
    assert reached_level(ratings, SCORED, "lenient") == level


@pytest.mark.parametrize(
    ("fulfilment", "lenient", "strict"),
    [(0.5, 1, 1), (0.5000001, 3, 2), (0.85, 3, 2), (0.8500001, 3, 3)],
)
def test_the_rule_at_the_band_edges_through_fulfilment(
    fulfilment: float, lenient: int, strict: int
) -> None:
    # Level-2 criteria at the given fulfilment, level-3 criteria F, the rest N.
    flow = make_flow(
        [
            {
                "id": "l2",
                "type": "single_choice",
                "choices": {"x": {c.id: fulfilment for c in SCORED if c.level == 2}, "none": {}},
            },
            {
                "id": "l3",
                "type": "single_choice",
                "choices": {"x": {c.id: 1.0 for c in SCORED if c.level == 3}, "none": {}},
            },
            {
                "id": "rest",
                "type": "single_choice",
                "choices": {"x": {c.id: 0.0 for c in SCORED if c.level >= 4}, "none": {}},
            },
        ]
    )
    answers = {"l2": "x", "l3": "x", "rest": "x"}
    assert assess(flow, answers, MODEL).level == lenient
    assert assess(flow, answers, STRICT).level == strict


def test_an_unknown_criterion_blocks_and_says_it_lacks_evidence() -> None:
    ratings = ratings_upto(3, "F")
    ratings["L3.staff"] = None
    assert reached_level(ratings, SCORED, "lenient") == 2
    blocks = blocking(2, ratings, SCORED, "lenient")
    assert [(b.id, b.reason) for b in blocks] == [("L3.staff", "no_evidence")]


def test_blocking_lists_the_next_levels_gaps_worst_first() -> None:
    ratings = ratings_upto(2, "L", rest="L")
    ratings.update({"L3.respond": "P", "L3.follow_up": "N", "L3.monitor": None})
    blocks = blocking(2, ratings, SCORED, "lenient")
    assert [b.id for b in blocks] == ["L3.follow_up", "L3.respond", "L3.monitor"]
    assert {b.reason for b in blocks} == {"below_L", "no_evidence"}


def test_strict_blocking_includes_lower_criteria_that_are_only_l() -> None:
    ratings = ratings_upto(2, "L")
    blocks = blocking(2, ratings, SCORED, "strict")
    reasons = {b.id: b.reason for b in blocks}
    assert all(reasons[c.id] == "below_F" for c in SCORED if c.level == 2)
    assert all(reasons[c.id] == "below_L" for c in SCORED if c.level == 3)


def test_nothing_blocks_at_level_five() -> None:
    assert blocking(5, all_rated("F"), SCORED, "lenient") == []


def test_own_criteria_met_ignores_lower_levels() -> None:
    ratings = ratings_upto(2, "N", rest="L")
    assert own_criteria_met(3, ratings, SCORED)
    assert not own_criteria_met(2, ratings, SCORED)
    assert own_criteria_met(1, ratings, SCORED)


def test_strict_is_read_from_the_criteria_file() -> None:
    from scoring.criteria import parse_model

    # A JSON document is valid YAML: the packaged model with "rule": "strict".
    model = parse_model(MODEL.model_copy(update={"rule": "strict"}).model_dump_json())
    assert model.rule == "strict"
    flow = criteria_flow()
    ratings = ratings_upto(3, "L")
    assert assess(flow, answers_for(ratings), model).level == 2
    assert assess(flow, answers_for(ratings), MODEL).level == 3
