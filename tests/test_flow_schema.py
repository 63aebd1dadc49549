"""Flow validation: every rejection names the path of the problem."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from interview_flows.loader import FlowError, parse_flow
from scoring.criteria import criterion_ids

from .conftest import TEST_FLOWS

BASE = yaml.safe_load((TEST_FLOWS / "small.yaml").read_text(encoding="utf-8"))


def problems(doc: dict | str) -> list[str]:
    """Every problem reported for a document, as 'path: message' lines."""
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True)
    with pytest.raises(FlowError) as info:
        parse_flow(text, source="test.yaml", criterion_ids=criterion_ids())
    return [str(issue) for issue in info.value.issues]


def edited(change) -> dict:
    doc = copy.deepcopy(BASE)
    change(doc)
    return doc


def test_the_base_flow_is_valid():
    assert parse_flow(yaml.safe_dump(BASE)).id == "small-test"


def test_duplicate_question_id_names_the_second_occurrence():
    doc = edited(lambda d: d["questions"][3].update(id="has_team"))
    assert any(p.startswith("questions[3].id: duplicate question id 'has_team'") for p in problems(doc))


def test_duplicate_choice_value_names_the_choice():
    doc = edited(lambda d: d["questions"][3]["choices"][1].update(value="instagram"))
    assert "questions[3].choices[1].value: duplicate choice value 'instagram'" in problems(doc)


def test_unknown_criterion_in_choice_evidence_names_the_evidence():
    doc = edited(lambda d: d["questions"][1]["choices"][0]["evidence"].update({"L9.magic": 0.5}))
    assert "questions[1].choices[0].evidence: unknown criterion id 'L9.magic'" in problems(doc)


def test_unknown_criterion_in_rules_and_coding_is_found():
    def change(d):
        d["questions"][2]["evidence_rules"][0]["evidence"] = {"L3.nothing": 1.0}
        d["questions"][6]["criteria"] = ["L2.unknown"]

    found = problems(edited(change))
    assert "questions[2].evidence_rules[0].evidence: unknown criterion id 'L3.nothing'" in found
    assert "questions[6].criteria: unknown criterion id 'L2.unknown'" in found


def test_fulfilment_outside_zero_to_one_is_rejected_at_its_path():
    doc = edited(lambda d: d["questions"][1]["choices"][0]["evidence"].update({"L3.staff": 1.2}))
    assert any(p.startswith("questions[1].choices[0].evidence.L3.staff:") for p in problems(doc))
    doc = edited(lambda d: d["questions"][1]["choices"][1]["evidence"].update({"L3.staff": -0.1}))
    assert any(p.startswith("questions[1].choices[1].evidence.L3.staff:") for p in problems(doc))


def test_missing_translation_names_the_language():
    doc = edited(lambda d: d["questions"][4]["choices"][1]["label"].pop("en"))
    assert any(p.startswith("questions[4].choices[1].label.en: Field required") for p in problems(doc))
    doc = edited(lambda d: d["consent"].update(id=""))
    assert any(p.startswith("consent.id:") for p in problems(doc))


def test_relevant_naming_an_unknown_question():
    doc = edited(lambda d: d["questions"][2].update(relevant="has_tim == 'yes'"))
    assert "questions[2].relevant: names unknown question 'has_tim'" in problems(doc)


def test_relevant_naming_a_later_question():
    doc = edited(lambda d: d["questions"][2].update(relevant="satisfaction > 3"))
    assert "questions[2].relevant: names question 'satisfaction', which is not asked before this one" in problems(doc)


def test_relevant_naming_itself_is_a_later_question_too():
    doc = edited(lambda d: d["questions"][2].update(relevant="team_size > 3"))
    assert any("names question 'team_size'" in p for p in problems(doc))


def test_relevant_that_cannot_be_parsed():
    doc = edited(lambda d: d["questions"][2].update(relevant="has_team == 'yes' and"))
    assert any(p.startswith("questions[2].relevant: cannot read the condition") for p in problems(doc))


def test_relevant_comparing_with_a_choice_that_does_not_exist():
    doc = edited(lambda d: d["questions"][2].update(relevant="has_team == 'maybe'"))
    assert "questions[2].relevant: 'maybe' is not a choice of 'has_team'" in problems(doc)


def test_unreachable_question_is_rejected():
    doc = edited(lambda d: d["questions"][2].update(relevant="has_team == 'yes' and has_team == 'no'"))
    assert any(p.startswith("questions[2].relevant:") and "can never be true" in p for p in problems(doc))


def test_question_depending_only_on_an_unreachable_one_is_unreachable_too():
    def change(d):
        d["questions"][2]["relevant"] = "has_team == 'yes' and has_team == 'no'"
        d["questions"][5]["relevant"] = "team_size > 5"

    found = problems(edited(change))
    assert any(p.startswith("questions[5].relevant:") and "never asked" in p for p in found)


def test_number_condition_that_the_range_excludes_is_unreachable():
    doc = edited(lambda d: d["questions"][5].update(relevant="team_size > 500"))
    assert any(p.startswith("questions[5].relevant:") and "can never be true" in p for p in problems(doc))


def test_type_rules():
    def change(d):
        d["questions"][4]["choices"] = d["questions"][4]["choices"][:1]  # one choice only
        d["questions"][5]["max"] = 30  # a 30-point scale
        d["questions"][0]["dont_know"] = True  # a note offering don't know

    found = problems(edited(change))
    assert "questions[4].choices: a single_choice question needs at least two choices" in found
    assert "questions[5].max: a scale has 2 to 11 points" in found
    assert any(p.startswith("questions[0].dont_know:") for p in found)


def test_unknown_field_and_unknown_type_are_reported_with_their_path():
    found = problems(edited(lambda d: d["questions"][1].update(colour="red", type="essay")))
    assert any(p.startswith("questions[1].colour:") for p in found)
    assert any(p.startswith("questions[1].type:") for p in found)


def test_unknown_section_is_reported():
    doc = edited(lambda d: d["questions"][1].update(section="zzz"))
    assert "questions[1].section: unknown section 'zzz'" in problems(doc)


def test_every_problem_is_reported_at_once():
    def change(d):
        d["questions"][3]["id"] = "has_team"
        d["questions"][2]["relevant"] = "nope == 1"

    assert len(problems(edited(change))) >= 2


@pytest.mark.parametrize(
    "text, where",
    [
        ("id: [unclosed", "line 1"),
        ("- just\n- a list\n", "(document)"),
        ("", "(document)"),
        ("id: x\n\tversion: 1\n", "line 2"),
    ],
)
def test_malformed_yaml_gives_a_clean_error(text, where):
    found = problems(text)
    assert found and found[0].startswith(where)


def test_json_is_accepted_as_well():
    assert parse_flow(json.dumps(BASE)).id == "small-test"


def test_dont_know_is_no_value_in_conditions():
    doc = edited(lambda d: d["questions"][5].update(relevant="ig_followers == 'dont_know'"))
    assert "questions[5].relevant: 'dont_know' is no value in a condition; use not answered(ig_followers)" in problems(doc)


def test_yaml_is_read_with_the_c_parser_when_installed_and_means_the_same():
    """The packaged flows are read at every start: through libyaml when PyYAML has it."""
    import yaml

    from interview_flows import yaml_text

    if hasattr(yaml, "CSafeLoader"):
        assert yaml_text.SafeLoader is yaml.CSafeLoader
    from importlib import resources

    for entry in resources.files("interview_flows.flows").iterdir():
        if entry.name.endswith(".yaml"):
            text = entry.read_text("utf-8")
            assert yaml_text.safe_load(text) == yaml.safe_load(text), entry.name
    with pytest.raises(yaml.YAMLError):
        yaml_text.safe_load("!!python/object:os.system {}")  # still only the safe subset
