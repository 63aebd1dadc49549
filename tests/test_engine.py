"""The interview engine: events, skip logic, progress, and properties over random event sequences."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_flows.answers import AnswerError, parse_text_answer
from interview_flows.engine import Interview, Session
from interview_flows.schema import DONT_KNOW, Question


@pytest.fixture
def engine(small_flow):
    return Interview(small_flow)


def started(engine: Interview, lang: str = "id") -> Session:
    s = engine.new_session(lang)
    engine.start(s)
    return s


def test_start_asks_the_first_question_and_counts_only_answerable_ones(engine):
    s = started(engine)
    assert (s.state, s.cursor) == ("asking", "intro")
    # team_size and ig_followers depend on answers not given yet: the total counts the longest path.
    assert (engine.progress(s).position, engine.progress(s).total) == (1, 6)


def test_a_note_is_passed_with_skip_and_cannot_be_answered(engine):
    s = started(engine)
    with pytest.raises(AnswerError) as err:
        engine.answer(s, "yes")
    assert err.value.code == "note_not_answerable"
    assert s.cursor == "intro" and s.answers == {}
    engine.skip(s)
    assert s.cursor == "has_team"


def test_skip_logic_follows_the_answers(engine):
    s = started(engine)
    engine.skip(s)
    engine.answer(s, "no")
    assert s.cursor == "platforms"  # team_size is not asked without a team
    engine.answer(s, ["x"])
    assert s.cursor == "satisfaction"  # no Instagram, no follower question


def test_back_and_change_re_evaluates_later_conditions(engine):
    s = started(engine)
    engine.skip(s)
    engine.answer(s, "yes")
    engine.answer(s, 4)
    engine.answer(s, ["instagram"])
    assert s.cursor == "ig_followers"
    engine.back(s)
    assert s.cursor == "platforms"
    changes = engine.answer(s, ["youtube"])
    assert [(c.kind, c.old, c.new) for c in changes] == [("change", ["instagram"], ["youtube"])]
    assert s.cursor == "satisfaction"
    engine.back(s)
    engine.back(s)
    engine.back(s)
    assert s.cursor == "has_team"
    engine.answer(s, "no")
    # The team size stays on record but no longer applies.
    assert "team_size" in s.answers and "team_size" not in engine.effective_answers(s)
    # The next open question is satisfaction; no Instagram, so only the example may follow.
    assert s.cursor == "satisfaction" and str(engine.progress(s)) == "5/6"


def test_invalid_answers_are_refused_and_change_nothing(engine):
    s = started(engine)
    engine.skip(s)
    engine.answer(s, "yes")
    before = s.snapshot()
    for bad, code in [(0, "number_out_of_range"), (2.5, "not_a_whole_number"), ("lots", "not_a_number")]:
        with pytest.raises(AnswerError) as err:
            engine.answer(s, bad)
        assert err.value.code == code
        assert s.snapshot() == before
    engine.answer(s, 3)
    with pytest.raises(AnswerError) as err:
        engine.answer(s, ["instagram", "facebook"])
    assert err.value.code == "unknown_choice"
    with pytest.raises(AnswerError) as err:
        engine.answer(s, ["instagram", "none"])
    assert err.value.code == "exclusive_choice"
    assert "platforms" not in s.answers


def test_errors_speak_both_languages(engine):
    s = started(engine)
    engine.skip(s)
    engine.answer(s, "yes")
    with pytest.raises(AnswerError) as err:
        engine.answer(s, 999)
    assert err.value.text("id") == "Mohon isi angka dari 1 sampai 200."
    assert err.value.text("en") == "Please give a number from 1 to 200."


def test_required_questions_cannot_be_skipped(engine):
    s = started(engine)
    engine.skip(s)
    with pytest.raises(AnswerError) as err:
        engine.skip(s)
    assert err.value.code == "not_skippable"


def test_dont_know_only_where_offered_and_it_satisfies_no_condition(engine):
    s = started(engine)
    engine.skip(s)
    with pytest.raises(AnswerError) as err:
        engine.answer(s, DONT_KNOW)
    assert err.value.code == "dont_know_not_offered"
    engine.answer(s, "no")
    engine.answer(s, ["instagram"])
    engine.answer(s, DONT_KNOW)
    assert s.answers["ig_followers"] == DONT_KNOW
    assert engine.is_relevant("ig_followers", {"platforms": ["instagram"]})
    assert not engine.is_relevant("team_size", {"has_team": DONT_KNOW})


def test_pause_and_resume_keep_the_place(engine):
    s = started(engine)
    engine.skip(s)
    engine.pause(s)
    with pytest.raises(AnswerError) as err:
        engine.answer(s, "yes")
    assert err.value.code == "not_asking"
    engine.resume(s)
    assert (s.state, s.cursor) == ("asking", "has_team")


def test_review_lists_answers_and_edit_jumps_back(engine):
    s = started(engine)
    engine.skip(s)
    engine.answer(s, "yes")
    engine.answer(s, 5)
    engine.answer(s, ["x"])
    assert [i.question.id for i in engine.review(s)] == ["has_team", "team_size", "platforms"]
    engine.edit(s, "team_size")
    assert s.cursor == "team_size"
    engine.answer(s, 9)
    assert s.cursor == "satisfaction" and s.answers["team_size"] == 9
    with pytest.raises(AnswerError):
        engine.edit(s, "example")  # not answered yet


def test_the_last_answer_finishes_and_finish_needs_required_answers(engine):
    s = started(engine)
    engine.skip(s)
    with pytest.raises(AnswerError) as err:
        engine.finish(s)
    assert err.value.code == "questions_remaining"
    engine.answer(s, "no")
    engine.answer(s, ["x"])
    engine.answer(s, 4)
    assert s.cursor == "example"
    engine.finish(s)  # the last question is optional
    assert s.state == "finished" and s.cursor is None
    with pytest.raises(AnswerError) as err:
        engine.answer(s, "late")
    assert err.value.code == "already_finished"


def test_withdraw_from_any_open_state(engine):
    s = started(engine)
    engine.pause(s)
    engine.withdraw(s)
    assert s.state == "withdrawn"
    with pytest.raises(AnswerError):
        engine.resume(s)


def test_many_sessions_share_one_machine(engine):
    sessions = [started(engine) for _ in range(50)]
    for s in sessions:
        engine.skip(s)
    assert all(s.cursor == "has_team" for s in sessions)
    # Nothing is registered on the machine per session.
    assert engine.machine.models == []


# -- properties over random event sequences -------------------------------------------------

EVENTS = ["answer_valid", "answer_invalid", "skip", "back", "pause", "resume", "edit", "finish", "dont_know"]


def valid_value(q: Question, pick: int):
    if q.type in ("single_choice", "yes_no"):
        return q.choices[pick % len(q.choices)].value
    if q.type == "multiple_choice":
        plain = [c.value for c in q.choices if not c.exclusive]
        return plain[: 1 + pick % len(plain)]
    if q.type == "scale":
        return q.scale_points()[pick % len(q.scale_points())]
    if q.type == "number":
        return int(q.min or 0) + pick % 5
    return f"contoh {pick}"


def invariants(engine: Interview, s: Session) -> None:
    flow = engine.flow
    assert s.state in ("asking", "paused", "finished", "withdrawn")
    if s.state in ("asking", "paused"):
        q = engine.current(s)
        if q is None:  # the final check: only when nothing is left to ask
            assert s.cursor is None and engine.pending(s) is None
        else:
            assert engine.is_relevant(q.id, s.answers)
    else:
        assert s.cursor is None
    for qid, value in s.answers.items():
        q = flow.question(qid)
        assert q.answerable
        assert qid not in s.skipped
        # Every stored value is one the question accepts.
        if value != DONT_KNOW:
            parse_text_answer(q, ",".join(value) if isinstance(value, list) else str(value))
    p = engine.progress(s)
    assert 1 <= p.position <= p.total


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 50)), max_size=40))
def test_random_event_sequences_keep_the_session_valid_and_lose_no_answer(small_flow, steps):
    engine = Interview(small_flow)
    s = started(engine)
    recorded: dict[str, object] = {}
    for event, pick in steps:
        before = s.snapshot()
        q = engine.current(s)
        try:
            if event == "answer_valid" and q is not None:
                engine.answer(s, valid_value(q, pick) if q.answerable else None)
            elif event == "answer_invalid" and q is not None:
                engine.answer(s, {"nonsense": pick})
            elif event in ("answer_valid", "answer_invalid"):
                continue  # no question on screen (the review): nothing to answer
            elif event == "dont_know":
                engine.answer(s, DONT_KNOW)
            elif event == "edit":
                answered = [i.question.id for i in engine.review(s)]
                engine.edit(s, answered[pick % len(answered)] if answered else "nothing")
            else:
                getattr(engine, event)(s)
        except AnswerError:
            # A refused event leaves the session exactly as it was.
            assert s.snapshot() == before
        else:
            if q is not None and q.id in s.answers:
                recorded[q.id] = s.answers[q.id]
            if event == "skip" and q is not None:
                recorded.pop(q.id, None)
        invariants(engine, s)
        # No answer is ever lost: every value recorded is still there unless it was skipped.
        for qid, value in recorded.items():
            assert s.answers.get(qid) == value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(0, 50), min_size=12, max_size=12))
def test_answering_everything_always_reaches_the_check_and_send_finishes(small_flow, picks):
    engine = Interview(small_flow)
    s = started(engine)
    for pick in picks:
        q = engine.current(s)
        if q is None:
            break
        if q.answerable:
            engine.answer(s, valid_value(q, pick))
        else:
            engine.skip(s)
    # Nothing left to ask: the final check, still open, with every answer kept.
    assert s.state == "asking" and engine.checking(s) and engine.current(s) is None
    assert engine.progress(s).position == engine.progress(s).total
    answers = dict(s.answers)
    changes = engine.finish(s)
    assert s.state == "finished" and not engine.checking(s) and s.answers == answers
    assert [(c.kind, c.new) for c in changes] == [("state", "finished")]


def test_the_final_check_lets_answers_be_changed_and_comes_back_to_itself(small_flow):
    engine = Interview(small_flow)
    s = started(engine)
    while (q := engine.current(s)) is not None:
        engine.answer(s, valid_value(q, 0)) if q.answerable else engine.skip(s)
    assert engine.checking(s)
    # back: the last question answered, its answer kept until changed
    last = engine.review(s)[-1].question
    engine.back(s)
    assert engine.current(s) == last and not engine.checking(s) and last.id in s.answers
    engine.answer(s, s.answers[last.id])
    assert engine.checking(s)
    # edit: any answered question; once answered again, the check comes back (not the next question)
    first = engine.review(s)[0].question
    engine.edit(s, first.id)
    assert engine.current(s) == first
    engine.answer(s, s.answers[first.id])
    assert engine.checking(s)
    # pause and resume keep the check
    engine.pause(s)
    assert s.state == "paused" and not engine.checking(s)
    engine.resume(s)
    assert engine.checking(s)
    # nothing to answer or skip at the check; the session is unchanged by a refusal
    before = s.snapshot()
    for refused in (lambda: engine.answer(s, "x"), lambda: engine.skip(s)):
        with pytest.raises(AnswerError):
            refused()
        assert s.snapshot() == before
    engine.finish(s)
    assert s.state == "finished"
    with pytest.raises(AnswerError):
        engine.finish(s)


def test_odd_digits_and_huge_numbers_are_refused_cleanly(small_flow):
    has_team, team_size = small_flow.question("has_team"), small_flow.question("team_size")
    with pytest.raises(AnswerError) as err:
        parse_text_answer(has_team, "²")
    assert err.value.code == "unknown_choice"
    with pytest.raises(AnswerError) as err:
        parse_text_answer(team_size, "9" * 400)
    assert err.value.code == "number_out_of_range"


@pytest.mark.parametrize("typed", ["8", "Tidak tahu", "tidak tahu", "Don't know", "don’t know"])
def test_dont_know_is_taken_by_its_number_or_its_words_in_a_multiple_choice(typed):
    from interview_flows.loader import load_flow

    q = load_flow("ogmm-social-media").question("regulations")
    assert len(q.choices) == 7 and q.dont_know
    assert parse_text_answer(q, typed, "id") == DONT_KNOW


def test_dont_know_with_other_choices_is_refused_in_words():
    from interview_flows.loader import load_flow

    q = load_flow("ogmm-social-media").question("regulations")
    with pytest.raises(AnswerError) as err:
        parse_text_answer(q, "1, 8", "id")
    assert err.value.text("id") == '"Tidak tahu" tidak dapat digabungkan dengan pilihan lain.'


def test_a_refused_answer_passes_through_a_context_manager_as_itself(engine):
    """Callers wrap engine calls in ``with`` blocks (transactions, locks); a refusal raised inside
    one of contextlib's must arrive as the refusal, not as an error of the exception itself."""
    from contextlib import contextmanager

    @contextmanager
    def transaction():
        yield

    session = started(engine)  # at the note "intro", which takes no answer
    with pytest.raises(AnswerError) as refused, transaction():
        engine.answer(session, "an answer")
    assert refused.value.code and refused.value.text("id")
