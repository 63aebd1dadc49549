"""What the schema cannot check: unique ids, known criteria, skip logic and reachability."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from interview_flows.expressions import Expression, ExpressionError, parse
from interview_flows.schema import DONT_KNOW, Flow, Question

MAX_COMBINATIONS = 20_000


@dataclass(frozen=True)
class Issue:
    """One problem in a flow: where (``questions[3].relevant``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_flow(flow: Flow, criterion_ids: Iterable[str] | None) -> list[Issue]:
    """Every cross-field problem of a schema-valid flow, in document order; empty when it is sound.

    ``criterion_ids`` are the ids of the maturity model the flow scores against; ``None`` leaves
    criterion references unchecked (this layer does not know the model: its callers do).
    """
    known = None if criterion_ids is None else frozenset(criterion_ids)
    issues: list[Issue] = []
    issues += _duplicates((s.id for s in flow.sections), "sections[{}].id", "section id")
    issues += _duplicates((q.id for q in flow.questions), "questions[{}].id", "question id")
    if flow.default_language not in flow.languages:
        issues.append(Issue("default_language", f"{flow.default_language!r} is not in languages"))
    section_ids = {s.id for s in flow.sections}
    for i, q in enumerate(flow.questions):
        where = f"questions[{i}]"
        if q.section not in section_ids:
            issues.append(Issue(f"{where}.section", f"unknown section {q.section!r}"))
        issues += _check_type(q, where)
        issues += _check_criteria(q, where, known)
    issues += _check_relevance(flow)
    return issues


def _duplicates(ids: Iterable[str], path: str, what: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            yield Issue(path.format(i), f"duplicate {what} {value!r}")
        seen.add(value)


def _check_type(q: Question, where: str) -> list[Issue]:
    out: list[Issue] = []
    is_choice = q.type in ("single_choice", "multiple_choice", "yes_no")
    if is_choice and len(q.choices) < 2:
        out.append(Issue(f"{where}.choices", f"a {q.type} question needs at least two choices"))
    if not is_choice and q.choices:
        out.append(Issue(f"{where}.choices", f"a {q.type} question has no choices"))
    if q.type == "yes_no" and {c.value for c in q.choices} != {"yes", "no"}:
        out.append(Issue(f"{where}.choices", "a yes_no question has exactly the choices 'yes' and 'no'"))
    out += _duplicates((c.value for c in q.choices), f"{where}.choices[{{}}].value", "choice value")
    if q.type != "multiple_choice":
        for j, c in enumerate(q.choices):
            if c.exclusive:
                out.append(Issue(f"{where}.choices[{j}].exclusive", "only a multiple_choice option can be exclusive"))
    if q.type == "scale":
        if q.min is None or q.max is None or q.min != int(q.min) or q.max != int(q.max):
            out.append(Issue(f"{where}.min", "a scale needs whole-number min and max"))
        elif not 1 <= q.max - q.min <= 10:
            out.append(Issue(f"{where}.max", "a scale has 2 to 11 points"))
    if q.type == "number" and q.min is not None and q.max is not None and q.min > q.max:
        out.append(Issue(f"{where}.max", f"max {q.max:g} is below min {q.min:g}"))
    if q.type == "note":
        if q.dont_know:
            out.append(Issue(f"{where}.dont_know", 'a note is not answered, so it offers no "don\'t know"'))
        if q.variable:
            out.append(Issue(f"{where}.variable", "a note records no variable"))
    for k, rule in enumerate(q.evidence_rules):
        rule_at = f"{where}.evidence_rules[{k}]"
        if q.type not in ("number", "scale", "text"):
            out.append(Issue(rule_at, f"a {q.type} question gives evidence through its choices, not rules"))
        elif q.type == "text" and (rule.min is not None or rule.max is not None or not rule.keywords):
            out.append(Issue(rule_at, "a text rule matches keywords, not min/max"))
        elif q.type != "text" and rule.keywords:
            out.append(Issue(f"{rule_at}.keywords", "a number or scale rule matches min/max, not keywords"))
        if rule.min is not None and rule.max is not None and rule.min > rule.max:
            out.append(Issue(f"{rule_at}.max", "max is below min"))
    return out


def _check_criteria(q: Question, where: str, known: frozenset[str] | None) -> list[Issue]:
    out: list[Issue] = []

    def unknown(ids: Iterable[str], path: str) -> None:
        for cid in ids:
            if known is not None and cid not in known:
                out.append(Issue(path, f"unknown criterion id {cid!r}"))

    for j, c in enumerate(q.choices):
        unknown(c.evidence, f"{where}.choices[{j}].evidence")
    for k, rule in enumerate(q.evidence_rules):
        unknown(rule.evidence, f"{where}.evidence_rules[{k}].evidence")
    unknown(q.criteria, f"{where}.criteria")
    return out


def _check_relevance(flow: Flow) -> list[Issue]:
    out: list[Issue] = []
    position = {q.id: i for i, q in enumerate(flow.questions)}
    parsed: dict[str, Expression] = {}
    for i, q in enumerate(flow.questions):
        if q.relevant is None:
            continue
        where = f"questions[{i}].relevant"
        try:
            expr = parse(q.relevant)
        except ExpressionError as exc:
            out.append(Issue(where, f"cannot read the condition: {exc}"))
            continue
        bad = False
        for name in sorted(expr.names):
            if name not in position:
                out.append(Issue(where, f"names unknown question {name!r}"))
                bad = True
            elif position[name] >= i:
                out.append(Issue(where, f"names question {name!r}, which is not asked before this one"))
                bad = True
            elif not flow.questions[position[name]].answerable:
                out.append(Issue(where, f"names {name!r}, a note, which has no answer"))
                bad = True
        for name, literal in expr.compared_values():
            target = flow.question(name) if name in position else None
            if literal == DONT_KNOW:
                out.append(Issue(where, f"'dont_know' is no value in a condition; use not answered({name})"))
                bad = True
            elif target is not None and target.choices and target.choice(literal) is None:
                out.append(Issue(where, f"{literal!r} is not a choice of {name!r}"))
                bad = True
        if not bad:
            parsed[q.id] = expr
    out += _unreachable(flow, parsed)
    return out


def _unreachable(flow: Flow, parsed: dict[str, Expression]) -> list[Issue]:
    """Questions whose condition no combination of earlier answers can make true."""
    reachable: set[str] = set()
    out: list[Issue] = []
    for i, q in enumerate(flow.questions):
        expr = parsed.get(q.id)
        if expr is None:
            if q.relevant is None:
                reachable.add(q.id)
            continue
        names = sorted(expr.names)
        domains = [_domain(flow.question(n), expr) if n in reachable else [None] for n in names]
        total = 1
        for d in domains:
            total *= len(d)
        if total > MAX_COMBINATIONS:
            reachable.add(q.id)  # too many to try; trust the author
            continue
        if any(expr.evaluate(dict(zip(names, combo, strict=True))) for combo in itertools.product(*domains)):
            reachable.add(q.id)
        else:
            out.append(
                Issue(f"questions[{i}].relevant", f"{q.relevant!r} can never be true, so {q.id!r} is never asked")
            )
    return out


def _domain(q: Question, expr: Expression) -> list[Any]:
    """Values worth trying for a question when looking for an answer set that makes a condition true."""
    values: list[Any] = [None]  # unanswered, skipped or "don't know": no value
    if q.type == "multiple_choice":
        options = [c.value for c in q.choices]
        for size in range(1, min(len(options), 3) + 1):
            values.extend(list(c) for c in itertools.combinations(options, size))
    elif q.choices:
        values.extend(c.value for c in q.choices)
    elif q.type in ("number", "scale"):
        numbers = {n for n in expr.literals if isinstance(n, int | float) and not isinstance(n, bool)}
        candidates = {q.min, q.max} | {n + d for n in numbers for d in (-1, 0, 1)}
        values.extend(
            sorted(
                c
                for c in candidates
                if c is not None and (q.min is None or c >= q.min) and (q.max is None or c <= q.max)
            )
        )
        if q.min is None and q.max is None and not numbers:
            values.append(0)
    else:
        values.extend([""] + [s for s in expr.literals if isinstance(s, str)])
    return values
