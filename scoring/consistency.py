"""Consistency: answers that cannot both be true in practice, found by the flow's own rules.

A flow lists its rules as data (``consistency`` in the flow file, see
:class:`interview_flows.schema.ConsistencyRule`). A rule whose condition holds on the answers that
count becomes a :class:`ConsistencyNote` naming the questions involved. Nothing is changed: the
answers stand as given, the assessment says what does not fit and trusts its level a little less.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from interview_flows.expressions import Expression, compile_condition, parse
from interview_flows.schema import DONT_KNOW, Flow
from interview_flows.texts import Text
from scoring.values import python_class

CONFIDENCE_PENALTY = 0.1
"""How much each contradiction lowers the assessment's confidence (never below zero)."""

RESPONDENT_SENTENCE = Text(
    id=(
        "Beberapa jawaban Bapak/Ibu tampak kurang sejalan satu sama lain. Hal ini wajar, karena "
        "praktik di lapangan sering beragam; hasil ini kami tandai agar dibaca dengan hati-hati."
    ),
    en=(
        "Some of your answers do not seem to fit together. That is normal, since practice often "
        "varies; we have marked this result so that it is read with care."
    ),
)
"""What the respondent is told when any rule holds: neutral, naming no answer as wrong."""


@python_class
@dataclass(frozen=True)
class ConsistencyNote:
    """One rule that holds: its id, the questions it names, and what does not fit."""

    id: str
    questions: tuple[str, ...]
    note: Text

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a consistency note."""
        return {"id": self.id, "questions": list(self.questions), "note": self.note.model_dump()}


@cache
def _parsed(source: str) -> Expression:
    return parse(source)


def check_consistency(flow: Flow, answers: Mapping[str, Any]) -> list[ConsistencyNote]:
    """The consistency rules of ``flow`` that hold on ``answers`` (the answers that count, see
    :func:`scoring.ratings.effective_answers`), in the flow's order. "Don't know" is no value, so
    a rule never fires on an answer that was not given.

    >>> from interview_flows.loader import load_flow
    >>> flow = load_flow("ogmm-social-media")
    >>> [n.id for n in check_consistency(flow, {"l3_response_sop": "full", "response_time_hours": 240})]
    ['sop_targets_but_slow']
    """
    notes = []
    for rule, names, holds in _rules(flow):
        # A condition reads only the questions it names, so only those are looked at.
        known = {}
        for name in names:
            value = answers.get(name)
            if value is not None and value != DONT_KNOW:
                known[name] = value
        if holds(known):
            notes.append(_note(rule))
    return notes


_RULES: dict[int, tuple[Flow, tuple[tuple[Any, tuple[str, ...], Callable[[Mapping[str, Any]], bool]], ...]]] = {}


def _rules(flow: Flow) -> tuple[tuple[Any, tuple[str, ...], Callable[[Mapping[str, Any]], bool]], ...]:
    """Each consistency rule of the flow with the questions it names and its compiled condition."""
    known = _RULES.get(id(flow))
    if known is None or known[0] is not flow:
        rules = tuple(
            (rule, tuple(sorted(_parsed(rule.when).names)), compile_condition(_parsed(rule.when)))
            for rule in flow.consistency
        )
        if len(_RULES) > 64:
            _RULES.clear()
        known = _RULES[id(flow)] = (flow, rules)
    return known[1]


_NOTES: dict[int, tuple[Any, ConsistencyNote]] = {}


def _note(rule: Any) -> ConsistencyNote:
    known = _NOTES.get(id(rule))
    if known is None or known[0] is not rule:
        if len(_NOTES) > 1000:
            _NOTES.clear()
        known = _NOTES[id(rule)] = (rule, ConsistencyNote(rule.id, rule.questions, rule.note))
    return known[1]


def lowered_confidence(confidence: float, notes: int) -> float:
    """Confidence after ``notes`` contradictions.

    >>> lowered_confidence(0.9, 2)
    0.7
    """
    return max(0.0, round(confidence - CONFIDENCE_PENALTY * notes, 9))
