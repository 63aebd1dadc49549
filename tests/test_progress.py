"""The progress shown to a respondent ("question 12 of 48"): it never goes back on a step
forward, and its total never grows, whatever the path, backs, edits and skips."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_flows.engine import Interview
from interview_flows.loader import load_flow
from interview_flows.schema import DONT_KNOW, Question

STEPS = ["answer", "answer", "answer", "skip", "back", "edit", "dont_know"]


def a_value(q: Question, pick: int):
    """An answer the question takes, chosen by ``pick`` (choices, subsets, numbers, texts)."""
    if q.type in ("single_choice", "yes_no"):
        return q.choices[pick % len(q.choices)].value
    if q.type == "multiple_choice":
        if pick % 7 == 0 and any(c.exclusive for c in q.choices):
            return [next(c.value for c in q.choices if c.exclusive)]
        plain = [c.value for c in q.choices if not c.exclusive]
        start = pick % len(plain)
        return plain[start: start + 1 + pick % 3] or plain[:1]
    if q.type == "scale":
        return q.scale_points()[pick % len(q.scale_points())]
    if q.type == "number":
        low = int(q.min or 0)
        return low + pick % max(1, min(int(q.max or 50) - low + 1, 60))
    return f"contoh {pick}"


def walk(engine: Interview, steps: list[tuple[str, int]]) -> None:
    """Apply the steps; after each, check the shown progress against the one before."""
    s = engine.new_session("id")
    engine.start(s)
    total = engine.progress(s).total
    shown = engine.progress(s)
    assert shown.position == 1
    for step, pick in steps:
        if s.state != "asking":
            break
        q = engine.current(s)
        if q is None:  # the final check: the position is the total; send
            assert engine.checking(s) and str(engine.progress(s)) == f"{total}/{total}"
            engine.finish(s)
            break
        before = engine.progress(s)
        # An edit may ask a question after one that became relevant meanwhile (a changed answer
        # to an earlier question): answering it then asks that earlier one, at its own number.
        waiting = engine.pending(s)
        earlier_waiting = waiting is not None and engine.flow.position(waiting.id) < engine.flow.position(q.id)
        forward = went_back = False
        try:
            if step == "answer" and q.answerable:
                engine.answer(s, a_value(q, pick))
                forward = True
            elif step == "dont_know" and q.dont_know:
                engine.answer(s, DONT_KNOW)
                forward = True
            elif step == "skip" or not q.answerable:
                engine.skip(s)
                forward = True
            elif step == "back":
                engine.back(s)
                went_back = True
            elif step == "edit":
                items = engine.review(s)
                if items:
                    engine.edit(s, items[pick % len(items)].question.id)
        except Exception as exc:  # refused events change nothing
            assert type(exc).__name__ == "AnswerError", exc
            forward = went_back = False
        after = engine.progress(s)
        assert after.total == total, "the total changed"
        assert 1 <= after.position <= after.total
        if forward and s.state == "asking" and not earlier_waiting:
            # A note shows no number: passing it may leave the position where it was; a thin open
            # answer's follow-up is asked under the same number; the check shows the total.
            same_place = (not q.answerable or engine.probing(s) or engine.checking(s)) and after == before
            assert after.position > before.position or same_place, (q.id, before, after)
        if went_back:
            # Back shows a smaller number than the question left (the Telegram /back report).
            assert after.position < before.position
    if s.state == "finished":
        assert str(engine.progress(s)) == f"{total}/{total}"


@pytest.fixture(scope="module")
def ogmm_engine():
    return Interview(load_flow("ogmm-social-media"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 1000)), max_size=120))
def test_the_interview_progress_never_goes_back_on_a_step_forward_and_its_total_never_grows(ogmm_engine, steps):
    walk(ogmm_engine, steps)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 1000)), max_size=30))
def test_the_small_flow_progress_keeps_the_same_rules(small_flow, steps):
    walk(Interview(small_flow), steps)


def test_the_total_is_the_longest_path_and_skip_logic_moves_the_position_ahead(small_flow):
    engine = Interview(small_flow)
    s = engine.new_session("en")
    engine.start(s)
    # Every answerable question of the small flow can be asked by some answers: 6.
    assert str(engine.progress(s)) == "1/6"  # the note shows the first position
    engine.skip(s)
    assert str(engine.progress(s)) == "1/6"
    engine.answer(s, "no")  # no team: team_size is ruled out, the position jumps past it
    assert str(engine.progress(s)) == "3/6"
    engine.answer(s, ["x"])  # no Instagram: ig_followers ruled out too
    assert str(engine.progress(s)) == "5/6"
    engine.back(s)
    assert str(engine.progress(s)) == "3/6"


def test_a_forward_walk_through_the_real_flow_counts_to_its_total(ogmm_engine):
    s = ogmm_engine.new_session("id")
    ogmm_engine.start(s)
    seen = []
    while s.state == "asking":
        q = ogmm_engine.current(s)
        seen.append(ogmm_engine.progress(s).position)
        if q is None:  # the final check
            ogmm_engine.finish(s)
        elif q.answerable:
            ogmm_engine.answer(s, a_value(q, 1))
        else:
            ogmm_engine.skip(s)
    assert seen == sorted(seen) and seen[-1] == ogmm_engine.progress(s).total
