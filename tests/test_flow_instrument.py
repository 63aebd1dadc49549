"""Instrument 1.1 of ``ogmm-social-media``: every respondent finds their answer, no option hides two
claims, "other" asks what, "don't know" follows one rule, and 1.0.0 keeps working.

These read the flow as data (the schema and loader are tested elsewhere); the scoring of answer
sets goes through the public ``scoring.assess``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from interview_flows.expressions import parse
from interview_flows.loader import load_flow
from interview_flows.schema import Flow
from scoring.assessment import assess

CASES = Path(__file__).parent / "cases"

NO_DONT_KNOW = {
    "role": "asks about the respondent, who knows their own role",
    "years_in_role": "asks about the respondent themselves",
    "challenges": "asks for the respondent's own view of the obstacles, which has no wrong answer",
}
"""Closed questions without "don't know", each with the reason (issue 14: questions about the
respondent themselves do not offer it; every question about the organisation's practice does)."""

JOINED_ALLOWED = {
    ("l2_selection", "demand_review"): "one regular review that reads three sources together",
    ("l3_response_sop", "full"): "one SOP; its parts are what make it complete, and the options "
    "below it name the part that is missing",
}
"""Options whose label lists three things with ", dan": allowed where it is one practice."""


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flow("ogmm-social-media")


@pytest.fixture(scope="module")
def old_flow() -> Flow:
    return load_flow("ogmm-social-media", "1.0.0")


def test_newest_version_is_1_1_0_and_1_0_0_is_archived(flow: Flow, old_flow: Flow) -> None:
    assert flow.version == "1.1.0"
    assert old_flow.version == "1.0.0"
    assert "response_time_forwarded_hours" in {q.id for q in flow.questions}
    assert "response_time_forwarded_hours" not in {q.id for q in old_flow.questions}


def test_every_organisational_closed_question_offers_dont_know(flow: Flow) -> None:
    closed = [q for q in flow.questions if q.type in ("single_choice", "multiple_choice", "yes_no", "scale", "number")]
    missing = [q.id for q in closed if not q.dont_know and q.id not in NO_DONT_KNOW]
    assert not missing, f"closed questions about the organisation without 'don't know': {missing}"
    offered_anyway = [qid for qid in NO_DONT_KNOW if flow.question(qid).dont_know]
    assert not offered_anyway, f"exceptions that offer it after all (drop them from the list): {offered_anyway}"


def test_every_other_option_has_an_optional_specify_follow_up(flow: Flow) -> None:
    others = [(q, c) for q in flow.questions for c in q.choices if c.value == "other"]
    assert {q.id for q, _ in others} >= {"role", "platforms", "l2_data_types", "challenges"}
    for q, _ in others:
        follow = flow.question(f"{q.id}_other")
        assert follow.type == "text" and not follow.required, follow.id
        assert flow.position(follow.id) == flow.position(q.id) + 1, f"{follow.id} is not asked right after {q.id}"
        condition = parse(follow.relevant or "")
        assert condition.names == {q.id}
        chosen = ["other"] if q.type == "multiple_choice" else "other"
        assert condition.evaluate({q.id: chosen})
        first = next(c.value for c in q.choices if c.value != "other")
        assert not condition.evaluate({q.id: [first] if q.type == "multiple_choice" else first})
        # The option says "other" and nothing more: the follow-up asks what it is.
        label = q.choice("other").label
        assert "misalnya" not in label.id and "for example" not in label.en, q.id


def _main_clause(text: str) -> str:
    # Examples after "misalnya" / "for example" illustrate; they do not add a claim.
    return re.split(r",? (?:misalnya|for example)", text)[0]


def test_no_option_joins_two_practices(flow: Flow) -> None:
    for q in flow.questions:
        for c in q.choices:
            for lang in ("id", "en"):
                label = c.label.get(lang)
                assert "dan/atau" not in label and "and/or" not in label, (q.id, c.value, label)
            joined = ", dan " in _main_clause(c.label.id) or ", dan" in _main_clause(c.label.id)[-6:]
            if joined:
                assert (q.id, c.value) in JOINED_ALLOWED, (q.id, c.value, c.label.id)


def test_the_defects_of_1_0_0_are_mended(flow: Flow) -> None:
    platforms = {c.value for c in flow.question("platforms").choices}
    assert {"own_app", "call_centre", "whatsapp", "other"} <= platforms
    assert "statistics" in {c.value for c in flow.question("l2_data_types").choices}
    assert "leader_office" in {c.value for c in flow.question("l2_quality_check").choices}
    assert "almost_daily" in {c.value for c in flow.question("post_frequency").choices}
    assert "occasionally" in {c.value for c in flow.question("l5_leaders_use").choices}
    assert {"complaints", "engagement", "reach"} <= {c.value for c in flow.question("l5_measured").choices}
    assert {"low_bandwidth", "offline_channel"} <= {c.value for c in flow.question("l5_anywhere").choices}
    assert "reach" not in {c.value for c in flow.question("l2_public_use").choices}
    assert {"api", "machine_readable"} <= {c.value for c in flow.question("l4_platform").choices}
    # Where a unit can do one practice without the other, each is its own tick.
    for qid in ("l2_corrections", "l3_public_content", "l4_cross_agency", "l4_governance", "l5_institutionalised"):
        assert flow.question(qid).type == "multiple_choice", qid
    mix = flow.question("content_mix")
    assert mix.max_choices == 3 and "tiga" in mix.hint.id and "three" in mix.hint.en
    plan = flow.question("l5_institutionalised")
    assert all(term in plan.hint.id + plan.choice("plan").label.id for term in ("RPJMD", "Renstra"))


def test_english_explains_ppid_and_lapor_once(flow: Flow) -> None:
    # In the order a respondent reads them: question, hint, options.
    english = [
        t
        for q in flow.questions
        for t in [q.text.en, *([q.hint.en] if q.hint else []), *(c.label.en for c in q.choices)]
    ]
    for term, gloss in (
        ("PPID", "information and documentation officer"),
        ("SP4N-LAPOR!", "national public complaints system"),
    ):
        explained = [t for t in english if term in t and gloss in t]
        assert len(explained) == 1, (term, explained)
        first = next(i for i, t in enumerate(english) if term in t)
        assert gloss in english[first], f"{term} is used before it is explained"


def test_response_time_is_asked_as_measured_target_simple_and_forwarded(flow: Flow) -> None:
    ids = [q.id for q in flow.questions]
    order = ["response_time_measured", "response_target", "response_time_hours", "response_time_forwarded_hours"]
    assert [i for i in ids if i in order] == order
    assert flow.variables()["response_time_basis"] == "response_time_measured"
    for qid in order:
        assert flow.question(qid).dont_know and flow.question(qid).relevant


@pytest.mark.parametrize("name", ["kemlu_staff", "sleman_staff"])
def test_answer_sets_of_1_0_0_score_the_same_under_1_0_0(old_flow: Flow, name: str) -> None:
    expected = json.loads((CASES / "1.0.0" / "expected.json").read_text("utf-8"))[name]
    answers = yaml.safe_load((CASES / "1.0.0" / f"{name}.yaml").read_text("utf-8"))
    got = assess(old_flow, answers).to_dict()
    assert got["level"] == expected["level"]
    assert got["confidence"] == expected["confidence"] and got["profile"] == expected["profile"]
    assert {c["id"]: [c["rating"], c["fulfilment"]] for c in got["criteria"]} == expected["criteria"]
    assert got["consistency"] == []


@pytest.mark.parametrize(("name", "level"), [("kemlu_staff", 1), ("sleman_staff", 3)])
def test_seed_cases_reach_their_levels_under_both_versions(flow: Flow, old_flow: Flow, name: str, level: int) -> None:
    new = yaml.safe_load((CASES / f"{name}.yaml").read_text("utf-8"))
    old = yaml.safe_load((CASES / "1.0.0" / f"{name}.yaml").read_text("utf-8"))
    assert assess(flow, new).level == level
    assert assess(old_flow, old).level == level


# --- the command line -----------------------------------------------------------------------------


def _matang(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60)


def test_flows_diff_prints_what_changed_per_question() -> None:
    run = _matang("flows", "diff", "1.0.0", "1.1.0")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.splitlines()[0].startswith("ogmm-social-media 1.0.0 -> 1.1.0: ")
    assert "+ response_time_forwarded_hours" in out
    block = out.split("~ l2_corrections\n", 1)[1].split("\n~ ", 1)[0]
    assert "type: single_choice -> multiple_choice" in block and "choice added: source_updated" in block
    assert "~ content_mix\n" in out and "max_choices: None -> 3" in out
    assert "+ consistency:planned_but_leaders_never_use" in out
    assert " -> " in out and not any(line.endswith("-> ''") for line in out.splitlines() if "label" in line)
    unknown = _matang("flows", "diff", "1.0.0", "9.9.9")
    assert unknown.returncode == 2 and "unknown flow or version" in unknown.stderr


def test_answers_of_1_0_0_are_scored_with_1_0_0_by_id_at_version() -> None:
    run = _matang("score", str(CASES / "1.0.0" / "kemlu_staff.yaml"), "--flow", "ogmm-social-media@1.0.0", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["level"] == 1 and data["consistency"] == []


def test_flows_show_lists_probes_and_limits() -> None:
    out = _matang("flows", "show", "ogmm-social-media", "--lang", "en").stdout
    assert "content_mix (multiple_choice, don't know, choose 1–3)" in out
    assert out.count("      probe (if fewer than") == 6
    assert "[consistency]" in out and "sop_targets_but_slow" in out
