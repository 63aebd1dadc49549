"""Helpers for the scoring tests: small flows built from dicts, answers giving chosen ratings.

The scoring tests import these; the two tests at the bottom check the helpers themselves.
"""

from __future__ import annotations

from typing import Any

from interview_flows.schema import Flow
from scoring.criteria import Model, load_model

# Evidence values whose ratings are unambiguous: N, P, L, F.
RATING_VALUE = {"N": 0.0, "P": 0.3, "L": 0.7, "F": 1.0}


def _text(s: str) -> dict[str, str]:
    return {"id": s, "en": s}


def make_flow(questions: list[dict[str, Any]], **meta: Any) -> Flow:
    """A valid flow from compact question dicts.

    ``choices`` may be a mapping ``{value: {criterion: evidence}}``; ``text`` defaults to the id;
    ``section`` defaults to "s". Any other Question field passes through.
    """
    qs = []
    for q in questions:
        q = dict(q)
        q.setdefault("section", "s")
        q.setdefault("text", _text(q["id"]))
        choices = q.get("choices")
        if isinstance(choices, dict):
            q["choices"] = [
                {"value": v, "label": _text(v), "evidence": ev or {}} for v, ev in choices.items()
            ]
        elif isinstance(choices, list):
            q["choices"] = [
                {"value": c, "label": _text(c)}
                if isinstance(c, str)
                else {"label": _text(c["value"]), **c}
                for c in choices
            ]
        qs.append(q)
    doc = {
        "id": "test",
        "version": "1",
        "title": _text("Test"),
        "description": _text("Test flow"),
        "estimated_minutes": 5,
        "consent": _text("OK?"),
        "thanks": _text("Thanks"),
        "sections": [{"id": "s", "title": _text("Section")}],
        "questions": qs,
        **meta,
    }
    return Flow.model_validate(doc)


def criteria_flow(model: Model | None = None, dont_know: bool = True) -> Flow:
    """One single-choice question per scored criterion (id ``q_L2_publish`` …), choices N/P/L/F."""
    model = model or load_model()
    questions = [
        {
            "id": question_id(c.id),
            "type": "single_choice",
            "dont_know": dont_know,
            "choices": {r.lower(): {c.id: v} for r, v in RATING_VALUE.items()},
        }
        for c in model.criteria
        if c.scored
    ]
    return make_flow(questions)


def question_id(criterion_id: str) -> str:
    """The question of :func:`criteria_flow` for a criterion."""
    return "q_" + criterion_id.replace(".", "_").lower()


def answers_for(ratings: dict[str, str | None]) -> dict[str, Any]:
    """Answers to :func:`criteria_flow` giving each criterion its rating (None: don't know)."""
    return {
        question_id(cid): ("dont_know" if r is None else r.lower()) for cid, r in ratings.items()
    }


def all_rated(rating: str | None, model: Model | None = None) -> dict[str, str | None]:
    """Every scored criterion with the same rating."""
    model = model or load_model()
    return {c.id: rating for c in model.criteria if c.scored}


def test_make_flow_builds_choices_with_evidence() -> None:
    flow = make_flow(
        [
            {
                "id": "a",
                "type": "yes_no",
                "choices": {"yes": {"L2.publish": 1.0}, "no": {"L2.publish": 0}},
            }
        ]
    )
    assert flow.question("a").choice("yes").evidence == {"L2.publish": 1.0}


def test_criteria_flow_has_one_question_per_scored_criterion() -> None:
    flow = criteria_flow()
    assert len(flow.questions) == sum(1 for c in load_model().criteria if c.scored)
