"""Probes, choice limits and consistency rules in the flow format and the engine.

A thin open answer (fewer than ``min_words`` words, or only a vague phrase) gets exactly one
follow-up, which can be skipped; the follow-up is the second part of the same answer, with its
own change record. ``min_choices``/``max_choices`` bound a multiple choice. Consistency rules are
data in the flow; the assessment reports them and trusts its level less.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_flows.answers import AnswerError, answer_parts, answer_text, describe_answer, validate_answer
from interview_flows.engine import Interview
from interview_flows.loader import FlowError, load_flow, load_flow_file, parse_flow
from scoring.assessment import assess
from scoring.consistency import CONFIDENCE_PENALTY, RESPONDENT_SENTENCE

FLOW = Path(__file__).parent / "flows" / "probes.yaml"
FULL = "Kami menjawab setiap keluhan dalam dua jam lewat pesan langsung."


@pytest.fixture(scope="module")
def engine() -> Interview:
    return Interview(load_flow_file(FLOW))


def _at_how(engine: Interview, lang: str = "id"):
    s = engine.new_session(lang)
    engine.start(s)
    engine.answer(s, ["news"])
    assert s.cursor == "how"
    return s


# --- the schema -----------------------------------------------------------------------------------

BASE = """
id: t
version: "1"
title: {id: a, en: b}
description: {id: a, en: b}
estimated_minutes: 1
consent: {id: a, en: b}
thanks: {id: a, en: b}
sections: [{id: s, title: {id: a, en: b}}]
questions:
"""


def _problems(questions: str, tail: str = "") -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse_flow(BASE + questions + tail, criterion_ids=[])
    return [str(i) for i in caught.value.issues]


MULTI = """
  - id: m
    section: s
    type: multiple_choice
    text: {id: a, en: b}
    choices:
      - {value: x, label: {id: a, en: b}}
      - {value: y, label: {id: a, en: b}}
      - {value: z, label: {id: a, en: b}}
      - {value: none, label: {id: a, en: b}, exclusive: true}
"""


@pytest.mark.parametrize(
    ("limits", "path"),
    [
        ("    min_choices: 3\n    max_choices: 2\n", "questions[0].max_choices: max_choices 2 is below min_choices 3"),
        ("    max_choices: 4\n", "questions[0].max_choices: max_choices 4 is more than the 3 options"),
        ("    min_choices: 4\n", "questions[0].min_choices: min_choices 4 is more than the 3 options"),
        ("    max_choices: 0\n", "questions[0].max_choices: Input should be greater than or equal to 1"),
    ],
)
def test_choice_limits_out_of_bounds_are_refused_with_their_path(limits: str, path: str) -> None:
    problems = _problems(MULTI.replace("    text: {id: a, en: b}\n", "    text: {id: a, en: b}\n" + limits, 1))
    assert any(p.startswith(path) for p in problems), problems


def test_choice_limits_belong_to_a_multiple_choice_only() -> None:
    single = MULTI.replace("multiple_choice", "single_choice").replace(", exclusive: true", "")
    problems = _problems(
        single.replace("    text: {id: a, en: b}\n", "    text: {id: a, en: b}\n    max_choices: 2\n", 1)
    )
    assert problems == [
        "questions[0].max_choices: only a multiple_choice question limits its choices, not a single_choice"
    ]


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        ("    probe: {text: {id: a}}\n", "questions[0].probe.text.en: Field required"),
        ("    probe: {text: {id: a, en: b}, min_words: 0}\n", "questions[0].probe.min_words: Input should be greater"),
        ("    probe: {text: {id: a, en: b}, ask: twice}\n", "questions[0].probe.ask: Extra inputs are not permitted"),
        ("    probe: yes\n", "questions[0].probe: Input should be"),
    ],
)
def test_a_malformed_probe_is_refused_with_its_path(probe: str, expected: str) -> None:
    text_q = "  - id: o\n    section: s\n    type: text\n    text: {id: a, en: b}\n" + probe
    problems = _problems(text_q)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_probe_on_a_closed_question_is_refused() -> None:
    problems = _problems(MULTI + "    probe: {text: {id: a, en: b}}\n")
    assert problems == ["questions[0].probe: only an open (text) question has a probe, not a multiple_choice"]


def test_a_consistency_rule_must_name_real_questions_and_choices() -> None:
    tail = (
        "consistency:\n  - id: r\n    when: \"selected(m, 'w') and ghost == 1\"\n"
        "    questions: [m, ghost]\n    note: {id: a, en: b}\n"
    )
    problems = _problems(MULTI, tail)
    assert "consistency[0].questions[1]: unknown question 'ghost'" in problems
    assert "consistency[0].when: names unknown question 'ghost'" in problems
    assert "consistency[0].when: 'w' is not a choice of 'm'" in problems


# --- probes in the engine -------------------------------------------------------------------------


@pytest.mark.parametrize("thin", ["sudah", "Ada.", "biasa saja", "Lumayan", "OK", "dijawab admin"])
def test_a_thin_answer_gets_exactly_one_probe(engine: Interview, thin: str) -> None:
    s = _at_how(engine)
    changes = engine.answer(s, thin)
    assert [c.kind for c in changes] == ["answer"]
    assert s.cursor == "how" and engine.probing(s)
    probe = engine.current(s)
    assert probe.text.id == "Bisa Bapak/Ibu ceritakan satu contoh yang terjadi baru-baru ini?"
    assert probe.skippable and probe.probe is None
    changes = engine.answer(s, FULL)
    assert [c.kind for c in changes] == ["probe"]
    assert s.cursor == "done" and not engine.probing(s)
    assert answer_parts(s.answers["how"]) == [{"kind": "text", "text": thin}, {"kind": "probe", "text": FULL}]
    assert answer_text(s.answers["how"]) == f"{thin}\n{FULL}"


def test_a_full_answer_gets_no_probe(engine: Interview) -> None:
    s = _at_how(engine)
    engine.answer(s, FULL)
    assert s.cursor == "done" and s.answers["how"] == FULL


def test_the_probe_is_asked_in_the_respondents_language(engine: Interview) -> None:
    s = _at_how(engine, "en")
    engine.answer(s, "ok")
    assert engine.current(s).text.get(s.lang) == "Could you tell us about one recent example?"


def test_a_probe_can_be_skipped_and_is_not_asked_again(engine: Interview) -> None:
    s = _at_how(engine)
    engine.answer(s, "ada")
    changes = engine.skip(s)
    assert [c.kind for c in changes] == ["probe_skip"]
    assert s.cursor == "done"
    assert answer_parts(s.answers["how"])[1] == {"kind": "probe", "skipped": True}
    # Changing the first answer later keeps the follow-up: never a second probe.
    engine.edit(s, "how")
    assert not engine.probing(s)
    engine.answer(s, "belum")
    assert s.cursor == "done"
    assert answer_parts(s.answers["how"]) == [{"kind": "text", "text": "belum"}, {"kind": "probe", "skipped": True}]
    assert "belum" in describe_answer(engine.flow.question("how"), s.answers["how"], "id")


def test_the_probe_keeps_the_questions_number(engine: Interview) -> None:
    s = _at_how(engine)
    before = str(engine.progress(s))
    engine.answer(s, "ada")
    assert str(engine.progress(s)) == before


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=80).filter(lambda t: t.strip()), st.booleans())
def test_never_more_than_one_probe(text: str, skip: bool) -> None:
    engine = Interview(load_flow_file(FLOW))
    s = _at_how(engine)
    try:
        engine.answer(s, text)
    except AnswerError:
        return  # text that cleans to nothing is refused as it always was
    if engine.probing(s):
        (engine.skip if skip else lambda x: engine.answer(x, FULL))(s)
    assert s.cursor == "done"
    assert len(answer_parts(s.answers["how"])) in (1, 2)


# --- choice limits --------------------------------------------------------------------------------


def test_max_choices_refuses_a_third_tick_in_both_languages(engine: Interview) -> None:
    q = engine.flow.question("content")
    with pytest.raises(AnswerError) as caught:
        validate_answer(q, ["news", "data", "answers"])
    assert caught.value.text("id") == "Mohon pilih paling banyak 2; Bapak/Ibu memilih 3."
    assert caught.value.text("en") == "Please choose at most 2; you chose 3."
    assert validate_answer(q, ["data", "news"]) == ["news", "data"]
    assert validate_answer(q, ["none"]) == ["none"]


# --- consistency ----------------------------------------------------------------------------------

OGMM = load_flow("ogmm-social-media")
BASE_ANSWERS = {
    "l3_answering": "most",
    "l3_response_sop": "full",
    "response_target": "hours",
    "response_time_hours": 6,
    "l3_input_handling": "tracked",
    "l5_integrated": "one_system",
    "l5_institutionalised": ["plan", "kpi"],
    "l5_leaders_use": "often",
    "content_mix": ["data", "announcements"],
    "l2_data_types": ["budget"],
}
CONTRADICTIONS = {
    "sop_targets_but_slow": {"response_time_hours": 200},
    "one_system_but_not_recorded": {"l3_input_handling": "answered_only"},
    "planned_but_leaders_never_use": {"l5_leaders_use": "never"},
    "data_content_but_no_data": {"l2_data_types": ["none"]},
}


def test_the_consistent_answer_set_raises_nothing() -> None:
    a = assess(OGMM, BASE_ANSWERS)
    assert a.consistency == () and RESPONDENT_SENTENCE not in a.notes


@pytest.mark.parametrize("rule", sorted(CONTRADICTIONS))
def test_each_rule_fires_on_its_contradiction_and_lowers_confidence(rule: str) -> None:
    consistent = assess(OGMM, BASE_ANSWERS)
    contradicting = assess(OGMM, {**BASE_ANSWERS, **CONTRADICTIONS[rule]})
    assert [c.id for c in contradicting.consistency] == [rule]
    note = contradicting.to_dict()["consistency"][0]
    assert note["id"] == rule and len(note["questions"]) >= 2
    assert set(CONTRADICTIONS[rule]) <= set(note["questions"])
    assert note["note"]["id"] and note["note"]["en"]
    # Lower confidence, by the penalty, unless the change itself removed evidence.
    assert contradicting.confidence < consistent.confidence
    assert RESPONDENT_SENTENCE in contradicting.notes and "Bapak/Ibu" in RESPONDENT_SENTENCE.id


def test_dont_know_never_makes_a_contradiction() -> None:
    a = assess(OGMM, {**BASE_ANSWERS, "l5_leaders_use": "dont_know", "l5_institutionalised": "dont_know"})
    assert a.consistency == ()


def test_two_contradictions_lower_confidence_twice() -> None:
    one = assess(OGMM, {**BASE_ANSWERS, **CONTRADICTIONS["planned_but_leaders_never_use"]})
    two = assess(
        OGMM,
        {
            **BASE_ANSWERS,
            **CONTRADICTIONS["planned_but_leaders_never_use"],
            **CONTRADICTIONS["one_system_but_not_recorded"],
        },
    )
    assert len(two.consistency) == 2
    assert two.confidence == pytest.approx(one.confidence - CONFIDENCE_PENALTY, abs=1e-9)


# --- measured or estimated ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "id_words", "en_words"),
    [
        (
            "not_measured",
            "sekitar satu minggu, menurut perkiraan Bapak/Ibu (tidak diukur)",
            "about a week, by your estimate",
        ),
        ("dont_know", "sekitar satu minggu, menurut perkiraan Bapak/Ibu", "about a week, by your estimate"),
        ("measured", "sekitar satu minggu, menurut catatan unit", "about a week, from the unit's records"),
    ],
)
def test_the_response_time_is_said_as_measured_or_estimated(basis: str, id_words: str, en_words: str) -> None:
    answers = {**BASE_ANSWERS, "response_time_hours": 168, "response_time_measured": basis}
    notes = assess(OGMM, answers).notes
    assert any(id_words in n.id and en_words in n.en for n in notes), notes
    assert not any("168" in n.id or "168" in n.en for n in notes)


def test_a_recording_alone_is_not_probed(engine: Interview) -> None:
    # The Telegram channel stores "[jawaban suara, 0:42]" for an open answer given as a voice note.
    s = _at_how(engine)
    engine.answer(s, "[jawaban suara, 0:42]")
    assert s.cursor == "done" and not engine.probing(s)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=20_000), st.sampled_from(["id", "en"]))
def test_every_recording_placeholder_the_channels_write_counts_as_a_whole_answer(seconds: int, lang: str) -> None:
    from bot.recordings import placeholder
    from interview_flows.answers import is_media_placeholder

    assert is_media_placeholder(placeholder(seconds, lang))
