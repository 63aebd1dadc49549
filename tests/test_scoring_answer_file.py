"""Answer files for ``matang score``: checked against the flow, problems named by question."""

from __future__ import annotations

import yaml

from scoring.answer_file import read_answers, score_answers
from tests.test_scoring_support import make_flow

FLOW = make_flow(
    [
        {
            "id": "has_sop",
            "type": "yes_no",
            "dont_know": True,
            "choices": {"yes": {"L3.respond": 1.0}, "no": {"L3.respond": 0.0}},
        },
        {
            "id": "platforms",
            "type": "multiple_choice",
            "choices": [{"value": "ig"}, {"value": "fb"}, {"value": "none", "exclusive": True}],
        },
        {"id": "team_size", "type": "number", "min": 0, "max": 50, "variable": "team_size"},
        {"id": "organisation", "type": "text", "required": False, "variable": "organisation"},
        {"id": "intro", "type": "note"},
    ]
)


def test_valid_answers_come_back_normalised_in_flow_order() -> None:
    data = yaml.safe_load("team_size: '12'\nhas_sop: yes\nplatforms: [fb, ig]\norganisation: 123\n")
    answers, problems = read_answers(data, FLOW)
    assert problems == []
    assert answers == {
        "has_sop": "yes",
        "platforms": ["ig", "fb"],
        "team_size": 12,
        "organisation": "123",
    }
    assert list(answers) == ["has_sop", "platforms", "team_size", "organisation"]


def test_unquoted_yaml_no_is_the_choice_no() -> None:
    answers, _ = read_answers(yaml.safe_load("has_sop: no"), FLOW)
    assert answers == {"has_sop": "no"}


def test_an_unknown_question_is_named() -> None:
    _, problems = read_answers({"has_sop": "yes", "hsa_sop": "yes"}, FLOW)
    assert problems == ["hsa_sop: no question with this id in flow test"]


def test_an_invalid_choice_names_the_question_and_the_valid_values() -> None:
    _, problems = read_answers({"has_sop": "maybe"}, FLOW)
    assert len(problems) == 1
    assert problems[0].startswith('has_sop: "maybe" is not one of the choices')
    assert "(choices: yes, no, dont_know)" in problems[0]


def test_a_number_out_of_range_is_named() -> None:
    _, problems = read_answers({"team_size": 99}, FLOW)
    assert problems == ["team_size: Please give a number from 0 to 50."]


def test_exclusive_choice_combined_is_a_problem() -> None:
    _, problems = read_answers({"platforms": ["none", "ig"]}, FLOW)
    assert problems and problems[0].startswith("platforms:")


def test_a_note_is_not_answerable() -> None:
    _, problems = read_answers({"intro": "x"}, FLOW)
    assert problems and problems[0].startswith("intro:")


def test_problems_in_indonesian() -> None:
    _, problems = read_answers({"team_size": 99, "nope": 1}, FLOW, lang="id")
    assert problems == [
        "team_size: Mohon isi angka dari 0 sampai 50.",
        "nope: tidak ada pertanyaan dengan ID ini dalam alur test",
    ]


def test_an_answers_key_holds_the_answers_and_other_keys_are_metadata() -> None:
    answers, problems = read_answers({"flow": "test", "answers": {"has_sop": "yes"}}, FLOW)
    assert (answers, problems) == ({"has_sop": "yes"}, [])


def test_not_a_mapping() -> None:
    _, problems = read_answers(["has_sop"], FLOW)
    assert problems == ["(file): an answers file maps question ids to answers"]


def test_empty_values_are_skipped_questions() -> None:
    answers, problems = read_answers({"has_sop": None}, FLOW)
    assert (answers, problems) == ({}, [])


def test_score_answers_assesses_or_refuses() -> None:
    assessment, problems = score_answers(FLOW, {"has_sop": "yes"}, "en")
    assert problems == [] and assessment is not None
    assert assessment.criterion("L3.respond").rating == "F"
    assessment, problems = score_answers(FLOW, {"has_sop": "perhaps"}, "id")
    assert assessment is None and problems[0].startswith("has_sop:")
