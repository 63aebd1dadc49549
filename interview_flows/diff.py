"""What changed between two versions of a flow, per question, for researchers who compare waves.

>>> from interview_flows.loader import load_flow
>>> changes = diff_flows(load_flow("ogmm-social-media", "1.0.0"), load_flow("ogmm-social-media", "1.1.0"))
>>> next(c for c in changes if c.question == "response_time_forwarded_hours").kind
'added'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interview_flows.schema import Flow, Question
from interview_flows.texts import Text


@dataclass(frozen=True)
class QuestionChange:
    """One question's change: ``added``, ``removed`` or ``changed`` with what changed, one line each."""

    question: str
    kind: str
    details: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        """The change as lines of text: a header and one indented line per detail."""
        return [f"{self._mark} {self.question}"] + [f"    {d}" for d in self.details]

    @property
    def _mark(self) -> str:
        return {"added": "+", "removed": "-"}.get(self.kind, "~")


def diff_flows(old: Flow, new: Flow, lang: str = "en") -> list[QuestionChange]:
    """Every question added, removed or changed from ``old`` to ``new`` (in the new flow's order,
    removed ones last), then the consistency rules, as ``consistency:<id>`` entries."""
    old_q = {q.id: q for q in old.questions}
    new_q = {q.id: q for q in new.questions}
    out: list[QuestionChange] = []
    for q in new.questions:
        before = old_q.get(q.id)
        if before is None:
            out.append(QuestionChange(q.id, "added", (f"{q.type}: {q.text.get(lang)}",)))
            continue
        details = _question_details(before, q, lang)
        if details:
            out.append(QuestionChange(q.id, "changed", tuple(details)))
    for q in old.questions:
        if q.id not in new_q:
            out.append(QuestionChange(q.id, "removed", (f"{q.type}: {q.text.get(lang)}",)))
    old_r = {r.id: r for r in old.consistency}
    new_r = {r.id: r for r in new.consistency}
    for rid, rule in new_r.items():
        if rid not in old_r:
            out.append(QuestionChange(f"consistency:{rid}", "added", (f"when {rule.when}",)))
        elif old_r[rid] != rule:
            out.append(QuestionChange(f"consistency:{rid}", "changed", (f"when {old_r[rid].when} -> {rule.when}",)))
    for rid, rule in old_r.items():
        if rid not in new_r:
            out.append(QuestionChange(f"consistency:{rid}", "removed", (f"when {rule.when}",)))
    return out


def _question_details(a: Question, b: Question, lang: str) -> list[str]:
    out: list[str] = []
    if a.type != b.type:
        out.append(f"type: {a.type} -> {b.type} (answers are not comparable as they stand)")
    if a.section != b.section:
        out.append(f"section: {a.section} -> {b.section}")
    if a.text != b.text:
        out.append(_text_change("text", a.text, b.text, lang))
    if a.hint != b.hint:
        out.append(_text_change("hint", a.hint, b.hint, lang))
    for name in (
        "required",
        "dont_know",
        "relevant",
        "min",
        "max",
        "min_choices",
        "max_choices",
        "combine",
        "weight",
        "variable",
    ):
        x, y = getattr(a, name), getattr(b, name)
        if x != y:
            out.append(f"{name}: {x!r} -> {y!r}")
    if a.evidence_rules != b.evidence_rules:
        out.append("evidence rules changed")
    if a.probe != b.probe:
        out.append("probe: " + ("added" if a.probe is None else "removed" if b.probe is None else "changed"))
    old_c = {c.value: c for c in a.choices}
    new_c = {c.value: c for c in b.choices}
    for value, c in new_c.items():
        before = old_c.get(value)
        if before is None:
            out.append(f"choice added: {value} ({c.label.get(lang)})")
            continue
        if before.label != c.label:
            out.append(_text_change(f"choice {value}: label", before.label, c.label, lang))
        if before.evidence != c.evidence:
            out.append(f"choice {value}: evidence {dict(before.evidence)} -> {dict(c.evidence)}")
        if before.exclusive != c.exclusive:
            out.append(f"choice {value}: exclusive {before.exclusive} -> {c.exclusive}")
    for value, c in old_c.items():
        if value not in new_c:
            out.append(f"choice removed: {value} ({c.label.get(lang)})")
    if [c.value for c in a.choices if c.value in new_c] != [c.value for c in b.choices if c.value in old_c]:
        out.append("choices reordered")
    return out


def _text_change(name: str, a: Text | None, b: Text | None, lang: str) -> str:
    # When only the other language changed, show that one, so the line never reads "x -> x".
    shown = lang
    if a is not None and b is not None and a.get(lang) == b.get(lang):
        shown = "id" if lang == "en" else "en"
    before = a.get(shown) if a is not None else ""
    after = b.get(shown) if b is not None else ""
    return f"{name} ({shown}): {before!r} -> {after!r}"
