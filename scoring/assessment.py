"""The assessment of one respondent: level, profile, ratings, blockers, suggestions and notes.

``assess(flow, answers)`` rates every criterion (scoring.ratings), applies the level rule
(scoring.levels) and picks suggestions (scoring.suggestions). ``to_dict()`` gives the JSON shape
that ``matang score --json`` prints and exports embed (design.md): ``level``, ``level_name``,
``levels``, ``criteria``, ``profile``, ``confidence``, ``blocking``, ``themes``, ``suggestions``,
``notes``. Suggestions are the plan of scoring.advice, built from the ratings and the themes the
respondent named (scoring.themes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from interview_flows.schema import Flow
from interview_flows.texts import Text
from scoring.criteria import Criterion, Model, load_model
from scoring.levels import Block, blocking, own_criteria_met, reached_level
from scoring.ratings import CriterionResult, Rating, at_least, rate_and_keep
from scoring.suggestions import Suggestion, suggest, variable_texts
from scoring.themes import Theme, find_themes

LOW_CONFIDENCE = 0.6
"""Below this share of criteria with evidence, a note says the level is provisional."""
_DIGITS = 3  # fulfilment and confidence in the JSON: three decimals are more than a rating needs


@dataclass(frozen=True)
class LevelResult:
    """One level: mean fulfilment of its criteria with evidence; whether its own criteria are met.

    ``achieved`` is about this level's own criteria only (all at least L). The agency's level
    applies the level rule across levels, so a level can be ``achieved`` above the agency's level;
    the notes then say so.
    """

    level: int
    fulfilment: float | None
    achieved: bool


@dataclass(frozen=True)
class Profile:
    """The level rule applied to capability (facet C) and outcome (facet O) criteria separately."""

    capability: int
    outcome: int


@dataclass(frozen=True)
class Blocker:
    """A criterion that keeps the next level out of reach, with its name in the model's words.

    ``reason`` is ``no_evidence`` (unknown), ``below_L``, or ``below_F`` (strict rule).
    """

    id: str
    level: int
    rating: Rating | None
    reason: str
    name: Text
    description: Text

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a blocker."""
        return {
            "id": self.id,
            "level": self.level,
            "rating": self.rating,
            "reason": self.reason,
            "name": self.name.model_dump(),
            "description": self.description.model_dump(),
        }


@dataclass(frozen=True)
class Assessment:
    """What one respondent's answers say about their unit's maturity (immutable; see assess)."""

    level: int
    level_name: Text
    levels: tuple[LevelResult, ...]
    criteria: tuple[CriterionResult, ...]
    profile: Profile
    confidence: float
    blocking: tuple[Blocker, ...]
    suggestions: tuple[Suggestion, ...]
    notes: tuple[Text, ...]
    rule: str = "lenient"
    themes: tuple[Theme, ...] = ()
    """The obstacles the respondent named, with the spans of their words (scoring.themes)."""
    variables: Mapping[str, Text] = field(default_factory=dict, compare=False, repr=False)
    """The respondent's answers that tailor suggestions (placeholder to text); not exported."""

    def criterion(self, criterion_id: str) -> CriterionResult:
        """The result of one criterion (KeyError when the model has no such criterion)."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def ratings(self) -> dict[str, Rating | None]:
        """Criterion id to rating (``None`` for unknown)."""
        return {c.id: c.rating for c in self.criteria}

    def to_dict(self) -> dict[str, Any]:
        """The assessment as JSON-ready data, in the shape of design.md."""
        return {
            "level": self.level,
            "level_name": self.level_name.model_dump(),
            "levels": [
                {"level": lv.level, "fulfilment": _round(lv.fulfilment), "achieved": lv.achieved} for lv in self.levels
            ],
            "criteria": [
                {
                    "id": c.id,
                    "level": c.level,
                    "rating": c.rating,
                    "fulfilment": _round(c.fulfilment),
                    "evidence": list(c.evidence),
                }
                for c in self.criteria
                # Level-1 criteria describe the starting point and are not scored; list them
                # only when the flow's answers speak to them.
                if c.level >= 2 or c.known
            ],
            "profile": {"capability": self.profile.capability, "outcome": self.profile.outcome},
            "confidence": round(self.confidence, _DIGITS),
            "blocking": [b.to_dict() for b in self.blocking],
            "themes": [t.to_dict() for t in self.themes],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "notes": [n.model_dump() for n in self.notes],
        }


def assess(flow: Flow, answers: Mapping[str, Any], model: Model | None = None) -> Assessment:
    """Assess one respondent's answers (question id to stored value) against the maturity model.

    Answers to unknown questions are ignored here; :func:`scoring.answer_file.read_answers` is
    where answer files are checked.
    """
    model = model or load_model()
    results, kept = rate_and_keep(flow, answers, model)
    variables = variable_texts(flow, kept)
    return from_results(results, model, variables, flow=flow, themes=find_themes(flow, kept))


def from_results(
    results: Mapping[str, CriterionResult],
    model: Model,
    variables: Mapping[str, Text] | None = None,
    flow: Flow | None = None,
    themes: Sequence[Theme] = (),
) -> Assessment:
    """Build an assessment from criterion results (shared by one respondent and an organisation).

    With the ``flow``, the suggestions are the whole plan (scoring.advice: blockers, the named
    ``themes``, a strength, upkeep at the top); without it, the criterion suggestions alone.
    """
    ratings = {cid: r.rating for cid, r in results.items()}
    criteria = model.criteria
    rule = model.rule
    level = reached_level(ratings, criteria, rule)
    levels = tuple(
        LevelResult(
            lv.level,
            _mean(results[c.id].fulfilment for c in criteria if c.level == lv.level),
            own_criteria_met(lv.level, ratings, criteria),
        )
        for lv in model.levels
    )
    profile = Profile(
        capability=reached_level(ratings, [c for c in criteria if c.facet == "C"], rule),
        outcome=reached_level(ratings, [c for c in criteria if c.facet == "O"], rule),
    )
    scored = [c for c in criteria if c.scored]
    confidence = sum(results[c.id].known for c in scored) / len(scored) if scored else 0.0
    blocks = blocking(level, ratings, criteria, rule)
    by_id = model.by_id
    blockers = tuple(_blocker(b, by_id[b.id]) for b in blocks)
    if flow is not None:
        from scoring.advice import plan

        suggestions = tuple(plan(flow, model, level, results, blocks, themes, variables))
    else:
        suggestions = tuple(suggest(level, results, blocks, variables))
    return Assessment(
        level=level,
        level_name=model.level(level).name,
        levels=levels,
        criteria=tuple(results[c.id] for c in criteria),
        profile=profile,
        confidence=confidence,
        blocking=blockers,
        suggestions=suggestions,
        notes=tuple(_notes(level, ratings, criteria, profile, confidence)),
        rule=rule,
        themes=tuple(themes),
        variables=dict(variables or {}),
    )


def _blocker(block: Block, criterion: Criterion) -> Blocker:
    return Blocker(block.id, block.level, block.rating, block.reason, criterion.name, criterion.description)


_NOTES = {
    "elements": Text(
        id=(
            "Tingkat {level}, dengan unsur tingkat {h}: {met} dari {total} kriteria tingkat {h} "
            "sudah sebagian besar atau sepenuhnya tercapai, tetapi kriteria tingkat {nxt} belum "
            "semuanya terpenuhi."
        ),
        en=(
            "Level {level}, with elements of level {h}: {met} of {total} level-{h} criteria are "
            "largely or fully achieved, but the criteria of level {nxt} are not all met yet."
        ),
    ),
    "profile": Text(
        id=(
            "Kapabilitas dan proses berada di tingkat {capability}, sedangkan hasil (outcome) "
            "berada di tingkat {outcome}."
        ),
        en=("Capabilities and processes are at level {capability}, while outcomes are at level {outcome}."),
    ),
    "confidence": Text(
        id=(
            "Hanya {pct}% kriteria yang didukung jawaban; banyak pertanyaan dilewati atau dijawab "
            "“tidak tahu”. Tingkat ini bersifat sementara."
        ),
        en=(
            "Only {pct}% of the criteria are backed by answers; many questions were skipped or "
            "answered “don't know”. Treat this level as provisional."
        ),
    ),
}


def _note(key: str, **values: Any) -> Text:
    template = _NOTES[key]
    return Text(id=template.id.format(**values), en=template.en.format(**values))


def _notes(
    level: int,
    ratings: Mapping[str, Rating | None],
    criteria: Sequence[Criterion],
    profile: Profile,
    confidence: float,
) -> list[Text]:
    notes: list[Text] = []
    higher = elements_above(level, ratings, criteria)
    if higher is not None:
        h, met, total = higher
        notes.append(_note("elements", level=level, h=h, met=met, total=total, nxt=level + 1))
    if profile.capability != profile.outcome:
        notes.append(_note("profile", capability=profile.capability, outcome=profile.outcome))
    if confidence < LOW_CONFIDENCE:
        notes.append(_note("confidence", pct=round(confidence * 100)))
    return notes


def elements_above(
    level: int, ratings: Mapping[str, Rating | None], criteria: Sequence[Criterion]
) -> tuple[int, int, int] | None:
    """The highest level above ``level`` that is better fulfilled than the sequence allows, if any.

    Returns ``(level, criteria met, criteria of that level)``. A level two or more above counts
    when most (more than half) of its criteria are at least L; the very next level counts only
    when all its own criteria are met (it is then held back by the strict rule alone), since
    being close to the next level is ordinary progress, not a non-sequential profile.
    """
    for h in range(5, level, -1):
        own = [c for c in criteria if c.level == h]
        if not own:
            continue
        met = sum(at_least(ratings.get(c.id), "L") for c in own)
        if (h >= level + 2 and met * 2 > len(own)) or (h == level + 1 and met == len(own)):
            return h, met, len(own)
    return None


def _mean(values: Any) -> float | None:
    known = [v for v in values if v is not None]
    return fmean(known) if known else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)
