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
from functools import lru_cache
from math import fsum
from typing import Any

from interview_flows.schema import Flow
from interview_flows.texts import Text
from scoring.consistency import RESPONDENT_SENTENCE, ConsistencyNote, check_consistency, lowered_confidence
from scoring.criteria import Criterion, Model, load_model
from scoring.estimates import response_time_note
from scoring.levels import Block, bar_for, blocking_plan, planned_blocking
from scoring.ratings import CriterionResult, Rating, at_least, rate_and_keep
from scoring.suggestions import Suggestion, suggest, variable_texts
from scoring.themes import Theme, find_themes
from scoring.values import made, python_class

LOW_CONFIDENCE = 0.6
"""Below this share of criteria with evidence, a note says the level is provisional."""
_DIGITS = 3  # fulfilment and confidence in the JSON: three decimals are more than a rating needs


@python_class
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


@python_class
@dataclass(frozen=True)
class Profile:
    """The level rule applied to capability (facet C) and outcome (facet O) criteria separately."""

    capability: int
    outcome: int


@python_class
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


@python_class
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
    consistency: tuple[ConsistencyNote, ...] = ()
    """Answers that cannot both be true (the flow's consistency rules that hold); see
    scoring.consistency. ``confidence`` is already lowered for them."""
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
            "consistency": [c.to_dict() for c in self.consistency],
        }


def assess(flow: Flow, answers: Mapping[str, Any], model: Model | None = None) -> Assessment:
    """Assess one respondent's answers (question id to stored value) against the maturity model.

    Answers to unknown questions are ignored here; :func:`scoring.answer_file.read_answers` is
    where answers files are checked.
    """
    model = model or load_model()
    results, kept = rate_and_keep(flow, answers, model)
    basis = response_time_note(flow, kept)
    # Said beside the level, so a guessed figure is never read as a measured one.
    return from_results(
        results,
        model,
        variable_texts(flow, kept),
        flow=flow,
        themes=find_themes(flow, kept),
        consistency=check_consistency(flow, kept),
        after_notes=() if basis is None else (basis,),
    )


def from_results(
    results: Mapping[str, CriterionResult],
    model: Model,
    variables: Mapping[str, Text] | None = None,
    flow: Flow | None = None,
    themes: Sequence[Theme] = (),
    *,
    consistency: Sequence[ConsistencyNote] = (),
    after_notes: Sequence[Text] = (),
) -> Assessment:
    """Build an assessment from criterion results (shared by one respondent and an organisation).

    With the ``flow``, the suggestions are the whole plan (scoring.advice: blockers, the named
    ``themes``, a strength, upkeep at the top); without it, the criterion suggestions alone.
    Each ``consistency`` note lowers the confidence and adds the neutral sentence to the notes;
    ``after_notes`` come last.
    """
    ix = _index(model)
    ratings = {cid: r.rating for cid, r in results.items()}
    rule = ix.rule
    level = _climb(ratings, ix.climb_all, rule)
    levels = _levels(results, ix)
    profile = _profile(_climb(ratings, ix.climb_capability, rule), _climb(ratings, ix.climb_outcome, rule))
    scored = ix.scored
    coverage = sum(results[cid].fulfilment is not None for cid in scored) / len(scored) if scored else 0.0
    confidence = lowered_confidence(coverage, len(consistency))
    blocks = planned_blocking(level, ratings, ix.blocking)
    blockers = tuple(ix.blocker(b) for b in blocks)
    if flow is not None:
        from scoring.advice import plan

        suggestions = tuple(plan(flow, model, level, results, blocks, themes, variables))
    else:
        suggestions = tuple(suggest(level, results, blocks, variables))
    # The coverage note speaks of answered criteria, so it reads the share before contradictions.
    notes = _notes(level, ratings, ix, profile, coverage)
    if consistency:
        notes += (RESPONDENT_SENTENCE,)
    if after_notes:
        notes += tuple(after_notes)
    return made(
        Assessment,
        level=level,
        level_name=ix.level_names[level],
        levels=levels,
        criteria=tuple(map(results.__getitem__, ix.ids)),
        profile=profile,
        confidence=confidence,
        blocking=blockers,
        suggestions=suggestions,
        notes=notes,
        rule=rule,
        themes=tuple(themes),
        consistency=tuple(consistency),
        variables=dict(variables or {}),
    )


def _blocker(block: Block, criterion: Criterion) -> Blocker:
    return Blocker(block.id, block.level, block.rating, block.reason, criterion.name, criterion.description)


# --- the model, indexed once -----------------------------------------------------------------------
# An assessment reads the model's criteria by level, by facet and by id many times over; working
# that out once per model (and making each small immutable result once) keeps assessing cheap.

_RANK = {"N": 0, "P": 1, "L": 2, "F": 3}
_Climb = tuple[tuple[int, tuple[tuple[str, int], ...]], ...]


class _ModelIndex:
    """What an assessment needs of one model, worked out once."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.rule = model.rule
        criteria = model.criteria
        self.ids = tuple(c.id for c in criteria)
        self.by_id = model.by_id
        self.level_ids = tuple((lv.level, tuple(c.id for c in criteria if c.level == lv.level)) for lv in model.levels)
        self.level_names = {lv.level: lv.name for lv in model.levels}
        self.scored = tuple(c.id for c in criteria if c.scored)
        self.climb_all = _climb_plan(criteria, self.rule)
        self.climb_capability = _climb_plan([c for c in criteria if c.facet == "C"], self.rule)
        self.climb_outcome = _climb_plan([c for c in criteria if c.facet == "O"], self.rule)
        self.blocking = blocking_plan(criteria, self.rule)
        self.above = tuple(
            (h, tuple(c.id for c in criteria if c.level == h)) for h in range(5, 0, -1)
        )  # for elements_above
        self._blockers: dict[Block, Blocker] = {}

    def blocker(self, block: Block) -> Blocker:
        found = self._blockers.get(block)
        if found is None:
            found = self._blockers[block] = _blocker(block, self.by_id[block.id])
        return found


def _climb_plan(criteria: Sequence[Criterion], rule: str) -> _Climb:
    """For each target level 2–5: the (criterion, bar rank) pairs that must hold to reach it.

    Under the lenient rule the levels below were checked on the way up with the same bar, so
    each target lists its own criteria only; under the strict rule the bars below rise to F.
    """
    steps = []
    for target in range(2, 6):
        members = [c for c in criteria if (c.level == target if rule == "lenient" else 2 <= c.level <= target)]
        steps.append((target, tuple((c.id, _RANK[bar_for(c.level, target, rule)]) for c in members)))
    return tuple(steps)


def _climb(ratings: Mapping[str, Rating | None], plan: _Climb, rule: str) -> int:
    """:func:`scoring.levels.reached_level` on a plan from :func:`_climb_plan`."""
    level = 1
    for target, members in plan:
        for cid, bar in members:
            rating = ratings.get(cid)
            if rating is None or _RANK[rating] < bar:
                return level
        level = target
    return level


def _levels(results: Mapping[str, CriterionResult], ix: _ModelIndex) -> tuple[LevelResult, ...]:
    """Each level's mean fulfilment (of its criteria with evidence; ``math.fsum``, so exact) and
    whether its own criteria are all at least L (:func:`scoring.levels.own_criteria_met`; level 1's
    always are), in one pass over each level's criteria."""
    out = []
    for number, ids in ix.level_ids:
        known: list[float] = []
        met = True
        for cid in ids:
            result = results[cid]
            fulfilment = result.fulfilment
            if fulfilment is not None:
                known.append(fulfilment)
            if met and number > 1:
                rating = result.rating
                met = rating is not None and _RANK[rating] >= 2
        # Made anew: a mean of fulfilments seldom recurs, so a cache of them would mostly miss.
        mean = fsum(known) / len(known) if known else None
        out.append(made(LevelResult, level=number, fulfilment=mean, achieved=met))
    return tuple(out)


_INDEXES: dict[int, _ModelIndex] = {}


def _index(model: Model) -> _ModelIndex:
    ix = _INDEXES.get(id(model))
    if ix is None or ix.model is not model:
        if len(_INDEXES) > 64:
            _INDEXES.clear()
        ix = _INDEXES[id(model)] = _ModelIndex(model)
    return ix


_SMALL: dict[tuple[Any, ...], Any] = {}


def _profile(capability: int, outcome: int) -> Profile:
    key = ("profile", capability, outcome)
    found = _SMALL.get(key)
    if found is None:
        found = _SMALL[key] = Profile(capability, outcome)
    return found


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


@lru_cache(maxsize=4096)
def _note(key: str, *values: tuple[str, Any]) -> Text:
    # The same few notes recur (level 2 with elements of level 4, ...): each is written once.
    template = _NOTES[key]
    named = dict(values)
    return Text(id=template.id.format(**named), en=template.en.format(**named))


def _notes(
    level: int,
    ratings: Mapping[str, Rating | None],
    ix: _ModelIndex,
    profile: Profile,
    confidence: float,
) -> tuple[Text, ...]:
    notes: list[Text] = []
    higher = _elements_above(level, ratings, ix)
    if higher is not None:
        h, met, total = higher
        notes.append(_note("elements", ("level", level), ("h", h), ("met", met), ("total", total), ("nxt", level + 1)))
    if profile.capability != profile.outcome:
        notes.append(_note("profile", ("capability", profile.capability), ("outcome", profile.outcome)))
    if confidence < LOW_CONFIDENCE:
        notes.append(_note("confidence", ("pct", round(confidence * 100))))
    return tuple(notes)


def _elements_above(level: int, ratings: Mapping[str, Rating | None], ix: _ModelIndex) -> tuple[int, int, int] | None:
    """:func:`elements_above` on the model's own criteria, indexed by level."""
    for h, own in ix.above:
        if h <= level:
            break
        if not own:
            continue
        met = 0
        for cid in own:
            rating = ratings.get(cid)
            met += rating is not None and _RANK[rating] >= 2
        if (h >= level + 2 and met * 2 > len(own)) or (h == level + 1 and met == len(own)):
            return h, met, len(own)
    return None


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


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)
