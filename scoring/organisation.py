"""Several respondents, one organisation: combined ratings, the organisation's level, disagreements.

Each criterion's combined fulfilment is the **median** of the fulfilment of the respondents who gave
evidence for it (a median, so one over-optimistic or over-critical respondent does not move the
result); the rating, level, profile, blockers and suggestions follow by the same rules as for one
respondent. A criterion is flagged as a **disagreement** when two respondents' ratings are two
bands or more apart (N against L, P against F): then the organisation's rating hides a real
difference of view that a researcher should look at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from statistics import median
from typing import Any

from interview_flows.schema import Flow
from interview_flows.texts import Text
from scoring.assessment import Assessment, assess, from_results
from scoring.criteria import Model, load_model
from scoring.ratings import CriterionResult, rank, rating_for
from scoring.values import python_class

DISAGREEMENT_BANDS = 2


@python_class
@dataclass(frozen=True)
class OrganisationAssessment(Assessment):
    """An :class:`~scoring.assessment.Assessment` of an organisation from several respondents.

    Besides the fields of an assessment: ``respondents`` (how many were combined),
    ``respondents_per_criterion`` (how many gave evidence for each criterion) and
    ``disagreements`` (criterion ids whose respondents' ratings are two bands or more apart).
    """

    respondents: int = 0
    respondents_per_criterion: Mapping[str, int] = field(default_factory=dict, compare=False)
    disagreements: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The assessment's JSON shape, plus ``respondents`` and ``disagreements``, and per
        criterion ``respondents`` and ``disagreement``."""
        data = super().to_dict()
        flagged = set(self.disagreements)
        for c in data["criteria"]:
            c["respondents"] = self.respondents_per_criterion.get(c["id"], 0)
            c["disagreement"] = c["id"] in flagged
        data["respondents"] = self.respondents
        data["disagreements"] = list(self.disagreements)
        return data


def combine(
    items: Iterable[Assessment | tuple[Flow, Mapping[str, Any]]], model: Model | None = None
) -> OrganisationAssessment:
    """Combine respondents of one organisation: assessments, or ``(flow, answers)`` pairs.

    Raises ``ValueError`` when there is no respondent at all.
    """
    model = model or load_model()
    people = [item if isinstance(item, Assessment) else assess(item[0], item[1], model) for item in items]
    if not people:
        raise ValueError("combine() needs at least one respondent")
    results: dict[str, CriterionResult] = {}
    counts: dict[str, int] = {}
    disagreements: list[str] = []
    for c in model.criteria:
        own = [p.criterion(c.id) for p in people]
        known = [r for r in own if r.fulfilment is not None]
        fulfilment = median(r.fulfilment for r in known if r.fulfilment is not None) if known else None
        evidence = tuple(dict.fromkeys(q for r in known for q in r.evidence))
        results[c.id] = CriterionResult(c.id, c.level, c.facet, fulfilment, rating_for(fulfilment), evidence)
        counts[c.id] = len(known)
        ranks = [rank(r.rating) for r in known]
        if ranks and max(ranks) - min(ranks) >= DISAGREEMENT_BANDS:
            disagreements.append(c.id)
    base = from_results(results, model, _shared_variables(people))
    notes = base.notes
    if disagreements:
        names = model.by_id
        notes += (
            Text(
                id="Para responden berbeda pendapat tentang: "
                + ", ".join(names[cid].name.id for cid in disagreements)
                + ". Sebaiknya hal ini dibahas bersama sebelum hasilnya digunakan.",
                en="Respondents disagree about: "
                + ", ".join(names[cid].name.en for cid in disagreements)
                + ". It is worth discussing this together before the result is used.",
            ),
        )
    values = {f.name: getattr(base, f.name) for f in fields(Assessment)}
    values["notes"] = notes
    return OrganisationAssessment(
        **values,
        respondents=len(people),
        respondents_per_criterion=counts,
        disagreements=tuple(disagreements),
    )


def _shared_variables(people: list[Assessment]) -> dict[str, Text]:
    # Quote a respondent's words in the organisation's suggestions only when everyone who gave that
    # variable said the same: one person's answer is not the organisation's.
    shared: dict[str, Text] = {}
    conflicting: set[str] = set()
    for p in people:
        for name, text in p.variables.items():
            if name in shared and shared[name] != text:
                conflicting.add(name)
            shared.setdefault(name, text)
    return {k: v for k, v in shared.items() if k not in conflicting}
