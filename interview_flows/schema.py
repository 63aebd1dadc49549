"""The interview flow format: a pydantic schema researchers can write as YAML.

A flow is a flat list of questions (XLSForm-like), each belonging to a section, so every error
has a short path such as ``questions[12].choices[3].evidence``. :func:`interview_flows.loader.parse_flow`
validates a document against this schema and then :func:`interview_flows.checks.check_flow`
checks what a schema cannot: unique ids, known criteria, skip logic, reachability.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interview_flows.texts import Lang, Text

QuestionType = Literal["single_choice", "multiple_choice", "yes_no", "scale", "number", "text", "note"]
CHOICE_TYPES = ("single_choice", "multiple_choice", "yes_no")
IDENTIFIER = r"^[a-z][a-z0-9_]{0,39}$"
DONT_KNOW = "dont_know"
"""The stored value of a "don't know" answer; it gives no evidence."""

Fulfilment = Annotated[float, Field(ge=0.0, le=1.0)]
Evidence = dict[str, Fulfilment]
"""Criterion id to fulfilment (0.0–1.0), see ogmm.md §3.1."""

YES_NO_LABELS = {
    "yes": Text(id="Ya", en="Yes"),
    "no": Text(id="Tidak", en="No"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict):
    """One answer option: a stable ``value``, its label per language, and the evidence it gives."""

    value: str = Field(pattern=IDENTIFIER)
    label: Text
    evidence: Evidence = Field(default_factory=dict)
    exclusive: bool = False
    """For a multiple choice: this option ("none of these") cannot be combined with others."""


class EvidenceRule(_Strict):
    """Evidence from a number, scale or free-text answer.

    A number or scale answer matches when ``min <= value <= max`` (either bound may be left out);
    a free-text answer matches when it contains any of ``keywords`` (case-insensitive). The first
    matching rule gives its evidence.
    """

    min: float | None = None
    max: float | None = None
    keywords: tuple[str, ...] = ()
    evidence: Evidence


VAGUE_PHRASES: tuple[str, ...] = (
    "ada",
    "sudah",
    "belum",
    "biasa saja",
    "biasa",
    "lumayan",
    "ok",
    "oke",
    "cukup",
    "tidak ada",
    "ya",
    "tidak",
    "yes",
    "no",
    "fine",
    "not really",
    "so so",
    "n/a",
    "-",
)
"""Answers that say nothing on their own, whatever their length (compared after folding case and
trimming punctuation); a flow may give its own list per probe."""


class Probe(_Strict):
    """A follow-up asked once when an open answer is thin: fewer than ``min_words`` words, or only
    one of the ``vague`` phrases. The follow-up is the second part of the same answer, and the
    respondent may skip it."""

    text: Text
    hint: Text | None = None
    min_words: int = Field(default=6, ge=1, le=100)
    vague: tuple[str, ...] = VAGUE_PHRASES


class Section(_Strict):
    """A block of the interview (context, one per level, challenges, closing)."""

    id: str = Field(pattern=IDENTIFIER)
    title: Text
    intro: Text | None = None


class Question(_Strict):
    """One step of the interview. Which fields apply depends on ``type``."""

    id: str = Field(pattern=IDENTIFIER)
    section: str
    type: QuestionType
    text: Text
    hint: Text | None = None
    required: bool = True
    """A required question cannot be skipped."""
    dont_know: bool = False
    """Offer "don't know" (stored as ``dont_know``, no evidence)."""
    relevant: str | None = None
    """Skip logic: ask only when this condition on earlier answers holds."""
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = True
    min_label: Text | None = None
    max_label: Text | None = None
    max_length: int = Field(default=2000, ge=1, le=4000)
    evidence_rules: tuple[EvidenceRule, ...] = ()
    combine: Literal["max", "mean", "sum"] = "max"
    """How a multiple choice's selected options combine their evidence (sum is capped at 1)."""
    weight: float = Field(default=1.0, gt=0.0, le=10.0)
    """Weight of this question's evidence in a criterion's weighted mean."""
    criteria: tuple[str, ...] = ()
    """Criteria an open question speaks to (used to code free-text answers in QDA exports)."""
    variable: str | None = Field(default=None, pattern=IDENTIFIER)
    """A context variable this question records (``team_size``, ``role``, ``organisation``…)."""
    probe: Probe | None = None
    """For an open (text) question: the follow-up asked once when the answer is thin."""
    min_choices: int | None = Field(default=None, ge=1)
    """For a multiple choice: the fewest options that may be ticked (one when not given)."""
    max_choices: int | None = Field(default=None, ge=1)
    """For a multiple choice: the most options that may be ticked (all when not given)."""

    @model_validator(mode="before")
    @classmethod
    def _yes_no_defaults(cls, data: Any) -> Any:
        # A yes/no question needs no choices written out; give it the standard two.
        if isinstance(data, dict) and data.get("type") == "yes_no" and not data.get("choices"):
            data = {**data, "choices": [{"value": v, "label": t.model_dump()} for v, t in YES_NO_LABELS.items()]}
        return data

    @property
    def answerable(self) -> bool:
        """Notes are shown, not answered."""
        return self.type != "note"

    @property
    def skippable(self) -> bool:
        """Notes can always be passed; other questions when not required."""
        return self.type == "note" or not self.required

    def choice(self, value: str) -> Choice | None:
        """The choice with this value, if any."""
        return next((c for c in self.choices if c.value == value), None)

    def scale_points(self) -> list[int]:
        """The points of a scale question, in order."""
        if self.type != "scale" or self.min is None or self.max is None:
            return []
        return list(range(int(self.min), int(self.max) + 1))

    def evidenced_criteria(self) -> set[str]:
        """Every criterion this question can give evidence for, or is coded with."""
        found = set(self.criteria)
        for c in self.choices:
            found.update(c.evidence)
        for r in self.evidence_rules:
            found.update(r.evidence)
        return found


class ConsistencyRule(_Strict):
    """Two (or more) answers that cannot both be true in practice.

    ``when`` is a condition in the language of ``relevant`` that holds when the answers contradict
    each other; ``questions`` names the questions involved, and ``note`` says to researchers what
    does not fit. The assessment reports a rule that holds as a ``consistency`` note; no answer is
    ever changed.
    """

    id: str = Field(pattern=IDENTIFIER)
    when: str
    questions: tuple[str, ...] = Field(min_length=2)
    note: Text


class Flow(_Strict):
    """A whole interview: metadata, sections and questions, in both languages."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    version: str = Field(pattern=r"^\d+(\.\d+){0,2}$")
    languages: tuple[Lang, ...] = ("id", "en")
    default_language: Lang = "id"
    title: Text
    description: Text
    estimated_minutes: int = Field(ge=1, le=240)
    consent: Text
    thanks: Text
    sections: tuple[Section, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = Field(min_length=1)
    consistency: tuple[ConsistencyRule, ...] = ()
    """Pairs of answers that cannot both be true (see :class:`ConsistencyRule`)."""

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError when there is none)."""
        return self._index[question_id][1]

    def position(self, question_id: str) -> int:
        """The 0-based position of a question in the flow."""
        return self._index[question_id][0]

    def section(self, section_id: str) -> Section:
        """The section with this id."""
        return next(s for s in self.sections if s.id == section_id)

    @cached_property
    def _index(self) -> dict[str, tuple[int, Question]]:
        # Derived once per flow; the flow is frozen, so it never goes stale. Kept in the instance's
        # own dict: a pydantic private attribute costs a slow attribute look-up on every question
        # asked of the flow (tens per answer).
        return {q.id: (i, q) for i, q in enumerate(self.questions)}

    def variables(self) -> dict[str, str]:
        """Context variable name to the question id that records it."""
        return {q.variable: q.id for q in self.questions if q.variable}
