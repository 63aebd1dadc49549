"""Properties of the scoring that must hold for any answers (hypothesis)."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.assessment import assess
from scoring.criteria import load_model
from scoring.levels import reached_level
from scoring.ratings import at_least, rank, rate
from tests.test_scoring_support import all_rated, answers_for, criteria_flow, make_flow

MODEL = load_model()
STRICT = MODEL.model_copy(update={"rule": "strict"})
SCORED = [c for c in MODEL.criteria if c.scored]
FLOW = criteria_flow()
RULES = st.sampled_from([MODEL, STRICT])
RATINGS = st.fixed_dictionaries({c.id: st.sampled_from(["N", "P", "L", "F", None]) for c in SCORED})

# A flow whose questions all speak to one criterion with evidence 0, 0.1, …, 1.0 and free weights.
STEPS = [round(i / 10, 1) for i in range(11)]


def _graded_flow(weights: list[float]):
    return make_flow(
        [
            {
                "id": f"q{i}",
                "type": "single_choice",
                "weight": w,
                "dont_know": True,
                "choices": {f"v{j}": {"L3.respond": v} for j, v in enumerate(STEPS)},
            }
            for i, w in enumerate(weights)
        ]
    )


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    weights=st.lists(st.floats(0.1, 10.0), min_size=1, max_size=6),
)
def test_raising_one_answers_evidence_never_lowers_the_criterion(data, weights) -> None:
    flow = _graded_flow(weights)
    n = len(weights)
    picks = data.draw(st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=n, max_size=n))
    i = data.draw(st.integers(0, n - 1))
    assume(picks[i] is not None)
    higher = data.draw(st.integers(picks[i], 10))
    before = {f"q{k}": (f"v{p}" if p is not None else "dont_know") for k, p in enumerate(picks)}
    after = {**before, f"q{i}": f"v{higher}"}
    a, b = rate(flow, before)["L3.respond"], rate(flow, after)["L3.respond"]
    assert b.fulfilment >= a.fulfilment - 1e-12
    assert rank(b.rating) >= rank(a.rating)


@settings(max_examples=200, deadline=None)
@given(ratings=RATINGS, model=RULES, data=st.data())
def test_raising_one_criterion_never_lowers_the_level(ratings, model, data) -> None:
    cid = data.draw(st.sampled_from(sorted(ratings)))
    better = data.draw(
        st.sampled_from([r for r in ("N", "P", "L", "F") if rank(r) >= rank(ratings[cid])])
    )
    lifted = {**ratings, cid: better}
    assert reached_level(lifted, SCORED, model.rule) >= reached_level(ratings, SCORED, model.rule)


@settings(max_examples=30, deadline=None)
@given(model=RULES)
def test_every_criterion_f_is_level_five(model) -> None:
    a = assess(FLOW, answers_for(all_rated("F")), model)
    assert a.level == 5 and a.blocking == ()
    assert len(a.suggestions) >= 2 and {s.kind for s in a.suggestions} == {"upkeep"}
    assert a.profile.capability == a.profile.outcome == 5


@settings(max_examples=300, deadline=None)
@given(ratings=RATINGS, model=RULES)
def test_the_level_never_exceeds_the_lowest_level_with_an_unmet_criterion(ratings, model) -> None:
    a = assess(FLOW, answers_for(ratings), model)
    unmet = [c.level for c in SCORED if not at_least(ratings[c.id], "L")]
    if unmet:
        assert a.level < min(unmet)
    assert 1 <= a.level <= 5
    # The reported ratings are the ratings asked for.
    assert {c.id: c.rating for c in a.criteria if c.level >= 2} == ratings


@settings(max_examples=200, deadline=None)
@given(ratings=RATINGS, model=RULES)
def test_blockers_are_exactly_what_stands_between_this_level_and_the_next(ratings, model) -> None:
    a = assess(FLOW, answers_for(ratings), model)
    if a.level == 5:
        assert a.blocking == ()
        return
    assert a.blocking, "a level below 5 is always held back by something"
    # Lifting every blocker to F reaches at least the next level.
    lifted = {**ratings, **{b.id: "F" for b in a.blocking}}
    assert reached_level(lifted, SCORED, model.rule) >= a.level + 1
    assert all((b.rating is None) == (b.reason == "no_evidence") for b in a.blocking)


@settings(max_examples=200, deadline=None)
@given(ratings=RATINGS)
def test_confidence_is_the_share_of_criteria_with_evidence(ratings) -> None:
    a = assess(FLOW, answers_for(ratings))
    known = sum(r is not None for r in ratings.values())
    assert abs(a.confidence - known / len(SCORED)) < 1e-9
    assert 0.0 <= a.confidence <= 1.0
