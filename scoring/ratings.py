"""From answers to criterion ratings: evidence per answer, fulfilment per criterion, N/P/L/F.

A criterion's fulfilment is the mean of the evidence its answered questions give, weighted by each
question's ``weight`` (ogmm.md §3.1). "Don't know", skipped and unanswered questions give no
evidence; neither do answers to questions whose ``relevant`` condition is false given the other
answers (the interview would not have asked them). A criterion without any evidence has no
fulfilment and no rating: it is *unknown*, never N.

>>> rating_for(0.15), rating_for(0.151), rating_for(0.5), rating_for(0.85), rating_for(0.86)
('N', 'P', 'P', 'L', 'F')
>>> rating_for(None) is None
True
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from interview_flows.answers import answer_text
from interview_flows.expressions import Expression, compile_condition, parse
from interview_flows.schema import DONT_KNOW, Flow, Question
from scoring.criteria import Model, load_model

Rating = Literal["N", "P", "L", "F"]
RATINGS: tuple[Rating, ...] = ("N", "P", "L", "F")
BANDS: tuple[tuple[float, Rating], ...] = ((0.15, "N"), (0.50, "P"), (0.85, "L"))
"""Upper bound (inclusive) of each band below F (ISO/IEC 33020): N ≤ .15 < P ≤ .50 < L ≤ .85 < F."""

# Weighted means of decimal evidence values land a hair off the band edges (0.1 and 0.2 average
# to 0.15000000000000002); rounding before comparing keeps 0.15 an N as the scale says.
_DIGITS = 9


def rating_for(fulfilment: float | None) -> Rating | None:
    """The rating of a fulfilment value (0–1); ``None`` (unknown) when there is no evidence.

    >>> [rating_for(f) for f in (0.0, 0.3, 0.7, 1.0)]
    ['N', 'P', 'L', 'F']
    """
    if fulfilment is None:
        return None
    value = round(fulfilment, _DIGITS)
    for upper, rating in BANDS:
        if value <= upper:
            return rating
    return "F"


def rank(rating: Rating | None) -> int:
    """Position of a rating on the scale (N=0 … F=3); -1 for unknown, so unknown is below N.

    >>> rank("L") > rank("P") > rank(None)
    True
    """
    return -1 if rating is None else RATINGS.index(rating)


def at_least(rating: Rating | None, bar: Rating) -> bool:
    """True when ``rating`` reaches ``bar``; an unknown rating never does.

    >>> at_least("F", "L"), at_least("P", "L"), at_least(None, "N")
    (True, False, False)
    """
    return rating is not None and RATINGS.index(rating) >= RATINGS.index(bar)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's result: its fulfilment (``None`` without evidence), rating and evidence.

    ``evidence`` lists the ids of the questions whose answers gave evidence, in flow order.
    """

    # Compiled by mypyc this stays a native class (unlike the other values, see
    # scoring.values.python_class): the plan reads its fields many times over, and each distinct
    # result is made once (_result). __reduce__ keeps it picklable there, as it is in plain Python.

    id: str
    level: int
    facet: str
    fulfilment: float | None
    rating: Rating | None
    evidence: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        """Whether any answer gave evidence for this criterion."""
        return self.fulfilment is not None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its constructor and fields (a native frozen class cannot be unpickled field by field)."""
        return (CriterionResult, (self.id, self.level, self.facet, self.fulfilment, self.rating, self.evidence))


def answer_evidence(question: Question, value: Any) -> dict[str, float]:
    """The evidence one answer gives: criterion id to fulfilment (empty when it gives none).

    >>> from interview_flows.schema import Question
    >>> t = {"id": "SOP?", "en": "SOP?"}
    >>> q = Question.model_validate({"id": "sop", "section": "s", "type": "yes_no", "text": t,
    ...     "choices": [{"value": "yes", "label": t, "evidence": {"L3.respond": 1.0}},
    ...                 {"value": "no", "label": t, "evidence": {"L3.respond": 0.0}}]})
    >>> answer_evidence(q, "yes"), answer_evidence(q, "dont_know")
    ({'L3.respond': 1.0}, {})
    """
    return _compile_question(question).evidence(value)


def effective_answers(flow: Flow, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: those of known, answerable questions whose condition holds.

    Conditions are evaluated in flow order against the answers already kept, the way the interview
    asks them, so an answer to a question that the interview would have skipped is dropped, and so
    is everything that depended on it. ``None`` values (skipped) are dropped; ``dont_know`` is
    kept (it is an answer, but it gives no evidence).
    """
    return {compiled.id: value for compiled, value in _kept(_plan(flow), answers)}


def rate(flow: Flow, answers: Mapping[str, Any], model: Model | None = None) -> dict[str, CriterionResult]:
    """Every criterion of the model rated from one respondent's answers, in the model's order.

    ``answers`` maps question ids to stored values: a choice value, a list of choice values
    (multiple choice), a number, a text, or ``"dont_know"``.
    """
    return rate_and_keep(flow, answers, model)[0]


def rate_and_keep(
    flow: Flow, answers: Mapping[str, Any], model: Model | None = None
) -> tuple[dict[str, CriterionResult], dict[str, Any]]:
    """:func:`rate` and :func:`effective_answers` in one pass over the answers."""
    model = model or load_model()
    table: dict[str, Any] = answers if isinstance(answers, dict) else dict(answers)
    order: list[str] = []  # the questions whose answers count, in the flow's order
    # What a condition sees. A "don't know" answer has no value there, as the expression language
    # says (interview_flows.expressions: unanswered, skipped or don't-know questions have none).
    # Only the questions some condition names need to be in it.
    seen: dict[str, Any] = {}
    sums: dict[str, _Sum] = {}
    for qid, holds, feeds, choices, compiled, ticked in _rows(flow):
        value = table.get(qid)
        if value is None:
            continue
        if holds is not None and not holds(seen):
            continue
        order.append(qid)
        if type(value) is str and value == DONT_KNOW:
            continue  # an answer, but no evidence
        if feeds:
            seen[qid] = value
        if choices is not None and type(value) is str:
            triples = choices.get(value, ())
        elif ticked is not None and compiled is not None and type(value) is list:
            # The options ticked, as a multiple choice question has seen them before. (A look-up,
            # not an exception: sets of ticks are many, and raising one costs more than the rest.)
            try:
                seen_ticks = ticked.get(tuple(value))
            except TypeError:  # an option that is no string (a damaged record)
                seen_ticks = None
            triples = seen_ticks if seen_ticks is not None else compiled.weighted(value)
        elif compiled is not None:
            triples = compiled.weighted(value)
        else:
            continue
        for cid, weighted, weight in triples:
            acc = sums.get(cid)
            if acc is None:
                sums[cid] = _Sum(weighted, weight, qid)
            else:
                acc.weighted += weighted
                acc.weight += weight
                acc.questions.append(qid)
    results: dict[str, CriterionResult] = {}
    made = _RESULTS
    for cid, level, facet, unknown in _unknown_results(model):
        acc = sums.get(cid)
        if acc is None:
            results[cid] = unknown
            continue
        # min(1.0, max(0.0, …)) without the two calls; -0.0 and NaN become 0.0 as there.
        fulfilment = acc.weighted / acc.weight
        if not fulfilment > 0.0:
            fulfilment = 0.0
        elif fulfilment > 1.0:
            fulfilment = 1.0
        key = (cid, level, facet, fulfilment, tuple(acc.questions))
        found = made.get(key)
        results[cid] = found if found is not None else _result(*key)
    # A session usually holds only answers that count, already in the flow's order (the interview
    # stores them as it asks): the answers that count are then a copy, made in one go.
    if len(order) == len(table) and order == list(table):
        return results, dict(table)
    return results, {qid: table[qid] for qid in order}


class _Sum:
    """What the answers so far give one criterion: the weighted sum of their evidence, the total
    weight, and the questions. (A class of its own: compiled, its two numbers are plain doubles.)"""

    __slots__ = ("weighted", "weight", "questions")

    def __init__(self, weighted: float, weight: float, question: str) -> None:
        self.weighted = weighted
        self.weight = weight
        self.questions = [question]


# Criterion results are immutable values and, answers being choices, the same few recur across
# sessions: each distinct one is made once (making one costs more than rating the criterion).
_RESULTS: dict[tuple[Any, ...], CriterionResult] = {}
_RESULTS_LIMIT = 8192


def _result(cid: str, level: int, facet: str, fulfilment: float, evidence: tuple[str, ...]) -> CriterionResult:
    key = (cid, level, facet, fulfilment, evidence)
    found = _RESULTS.get(key)
    if found is None:
        if len(_RESULTS) >= _RESULTS_LIMIT:
            _RESULTS.clear()
        found = _RESULTS[key] = CriterionResult(cid, level, facet, fulfilment, rating_for(fulfilment), evidence)
    return found


_UNKNOWN: dict[int, tuple[Model, tuple[tuple[str, int, str, CriterionResult], ...]]] = {}


def _unknown_results(model: Model) -> tuple[tuple[str, int, str, CriterionResult], ...]:
    """Each criterion of the model (id, level, facet) with its result when no answer speaks to it
    (made once per model)."""
    known = _UNKNOWN.get(id(model))
    if known is None or known[0] is not model:
        if len(_UNKNOWN) > 64:
            _UNKNOWN.clear()
        pairs = tuple(
            (c.id, c.level, c.facet, CriterionResult(c.id, c.level, c.facet, None, None, ())) for c in model.criteria
        )
        known = _UNKNOWN[id(model)] = (model, pairs)
    return known[1]


# --- compiled flows -------------------------------------------------------------------------------
# Parsing conditions and indexing choices once per flow keeps assessing a session cheap (a bot
# assesses every completed interview; the benchmark does ten thousand).


@dataclass(frozen=True, slots=True, eq=False)
class _Compiled:
    id: str
    type: str
    weight: float
    condition: Expression | None
    choice_evidence: Mapping[str, Mapping[str, float]]
    rules: tuple[tuple[float | None, float | None, tuple[str, ...], Mapping[str, float]], ...]
    combine: str
    gives_evidence: bool
    holds: Callable[[Mapping[str, Any]], bool] | None = None
    feeds_conditions: bool = True
    choice_weighted: Mapping[str, tuple[tuple[str, float, float], ...]] | None = None
    memo: dict[tuple[Any, ...], tuple[tuple[str, float, float], ...]] = field(default_factory=dict)

    def weighted(self, value: Any) -> tuple[tuple[str, float, float], ...]:
        """:meth:`evidence` as (criterion, amount × weight, weight) triples.

        A choice's triples are worked out with the flow; a set of ticked options is worked out
        the first time it is seen (a question has few of them; at most ``_MEMO_LIMIT`` are kept).
        """
        kind = self.type
        if kind in ("single_choice", "yes_no") and isinstance(value, str) and self.choice_weighted is not None:
            return self.choice_weighted.get(value, ())  # dont_know is no choice value: no evidence
        if kind == "multiple_choice":
            key = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else None
            if key is not None:
                try:
                    return self.memo[key]
                except KeyError:
                    pass
                except TypeError:  # an option that is no string (a damaged record): work it out
                    key = None
            triples = self._triples(value)
            if key is not None:
                if len(self.memo) >= _MEMO_LIMIT:
                    self.memo.clear()
                self.memo[key] = triples
            return triples
        return self._triples(value)

    def _triples(self, value: Any) -> tuple[tuple[str, float, float], ...]:
        weight = self.weight
        return tuple((cid, amount * weight, weight) for cid, amount in self.evidence(value).items())

    def evidence(self, value: Any) -> dict[str, float]:
        if value is None or value == DONT_KNOW:
            return {}
        kind = self.type
        if kind in ("single_choice", "yes_no"):
            found = self.choice_evidence.get(value) if isinstance(value, str) else None
            return dict(found) if found else {}
        if kind == "multiple_choice":
            return self._multiple(value)
        if kind in ("number", "scale"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return {}
            for low, high, _, ev in self.rules:
                if (low is None or value >= low) and (high is None or value <= high):
                    return dict(ev)
            return {}
        if kind == "text" and isinstance(value, (str, dict)):
            # Every part counts: what was said after the probe is evidence as much as the first words.
            folded = answer_text(value).casefold()
            for _, _, keywords, ev in self.rules:
                if any(k in folded for k in keywords):
                    return dict(ev)
        return {}

    def _multiple(self, value: Any) -> dict[str, float]:
        selected = [value] if isinstance(value, str) else value
        if not isinstance(selected, (list, tuple)) or DONT_KNOW in selected:
            return {}
        per_criterion: dict[str, list[float]] = {}
        for v in selected:
            for cid, amount in (self.choice_evidence.get(v) or {}).items():
                per_criterion.setdefault(cid, []).append(amount)
        if self.combine == "mean":
            return {cid: sum(xs) / len(xs) for cid, xs in per_criterion.items()}
        if self.combine == "sum":
            return {cid: min(1.0, sum(xs)) for cid, xs in per_criterion.items()}
        return {cid: max(xs) for cid, xs in per_criterion.items()}


_MEMO_LIMIT = 1024


def _compile_question(q: Question, feeds_conditions: bool = True) -> _Compiled:
    rules = tuple((r.min, r.max, tuple(k.casefold() for k in r.keywords), dict(r.evidence)) for r in q.evidence_rules)
    choice_evidence = {c.value: dict(c.evidence) for c in q.choices if c.evidence}
    condition = parse(q.relevant) if q.relevant else None
    return _Compiled(
        id=q.id,
        type=q.type,
        weight=q.weight,
        condition=condition,
        choice_evidence=choice_evidence,
        rules=rules,
        combine=q.combine,
        gives_evidence=bool(choice_evidence or rules),
        holds=compile_condition(condition) if condition is not None else None,
        feeds_conditions=feeds_conditions,
        choice_weighted={
            v: tuple((cid, amount * q.weight, q.weight) for cid, amount in ev.items())
            for v, ev in choice_evidence.items()
            if v != DONT_KNOW
        },
    )


# id(flow) -> (weak reference to the flow, its compiled questions). Flows are frozen, so a plan
# never goes stale; the weak reference lets a discarded flow (and its plan) be collected.
_PLANS: dict[int, tuple[weakref.ref[Flow], tuple[_Compiled, ...], tuple[_Row, ...]]] = {}
_Triples = tuple[tuple[str, float, float], ...]
_Row = tuple[
    str,
    "Callable[[Mapping[str, Any]], bool] | None",
    bool,
    "Mapping[str, _Triples] | None",
    "_Compiled | None",
    "dict[tuple[Any, ...], _Triples] | None",
]
"""A compiled question as the rating loop reads it: id, condition, whether a condition names it,
the weighted evidence of its choices (single choice), the compiled question when it gives evidence,
and its memo of ticked options (multiple choice; see _Compiled.weighted)."""


def _plan(flow: Flow) -> tuple[_Compiled, ...]:
    return _compiled_flow(flow)[0]


def _rows(flow: Flow) -> tuple[_Row, ...]:
    return _compiled_flow(flow)[1]


def _compiled_flow(flow: Flow) -> tuple[tuple[_Compiled, ...], tuple[_Row, ...]]:
    key = id(flow)
    entry = _PLANS.get(key)
    if entry is not None and entry[0]() is flow:
        return entry[1], entry[2]
    named = {n for q in flow.questions if q.relevant for n in parse(q.relevant).names}
    plan = tuple(_compile_question(q, q.id in named) for q in flow.questions if q.answerable)
    rows = tuple(
        (
            c.id,
            c.holds,
            c.feeds_conditions,
            c.choice_weighted if c.type in ("single_choice", "yes_no") else None,
            c if c.gives_evidence else None,
            c.memo if c.gives_evidence and c.type == "multiple_choice" else None,
        )
        for c in plan
    )
    _PLANS[key] = (weakref.ref(flow, _forgetter(key)), plan, rows)
    return plan, rows


def _forgetter(key: int) -> Callable[[weakref.ref[Flow]], None]:
    def forget(_ref: weakref.ref[Flow]) -> None:
        _PLANS.pop(key, None)

    return forget


def _kept(plan: Sequence[_Compiled], answers: Mapping[str, Any]) -> list[tuple[_Compiled, Any]]:
    kept: list[tuple[_Compiled, Any]] = []
    # What a condition sees. A "don't know" answer has no value there, as the expression language
    # says (interview_flows.expressions: unanswered, skipped or don't-know questions have none).
    seen: dict[str, Any] = {}
    for compiled in plan:
        value = answers.get(compiled.id)
        if value is None:
            continue
        if compiled.holds is not None and not compiled.holds(seen):
            continue
        kept.append((compiled, value))
        if value != DONT_KNOW:
            seen[compiled.id] = value
    return kept
