"""The maturity model as data: levels, criteria and the level rule, read from ``data/criteria.yaml``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from interview_flows.texts import Text
from interview_flows.yaml_text import safe_load

Facet = Literal["C", "O"]
Dimension = Literal["people", "organisation", "process", "technology", "data", "policy"]
Rule = Literal["lenient", "strict"]


class Level(BaseModel):
    """One maturity level: its number, name and focus."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    level: int = Field(ge=1, le=5)
    name: Text
    focus: Text


class Criterion(BaseModel):
    """One criterion of the model (ogmm.md §3.3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^L[1-5]\.[a-z_]+$")
    level: int = Field(ge=1, le=5)
    facet: Facet
    dimension: Dimension
    name: Text
    description: Text

    @property
    def scored(self) -> bool:
        """Level 1 criteria describe the starting profile; they are not scored against."""
        return self.level >= 2


class Model(BaseModel):
    """The whole maturity model: the level rule, the five levels and their criteria."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: Rule = "lenient"
    levels: tuple[Level, ...]
    criteria: tuple[Criterion, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (KeyError when there is none)."""
        return self.by_id[criterion_id]

    @property
    def by_id(self) -> dict[str, Criterion]:
        """Criteria keyed by id."""
        return {c.id: c for c in self.criteria}

    def level(self, number: int) -> Level:
        """The level with this number."""
        return next(lv for lv in self.levels if lv.level == number)

    def criteria_of(self, level: int) -> list[Criterion]:
        """The criteria of one level, in the order of the criteria file."""
        return [c for c in self.criteria if c.level == level]


def parse_model(text: str) -> Model:
    """Parse a criteria file's YAML text.

    >>> parse_model(resources.files("scoring.data").joinpath("criteria.yaml").read_text()).rule
    'lenient'
    """
    return Model.model_validate(safe_load(text))


@cache
def load_model() -> Model:
    """The packaged maturity model (read once; the data ships with the code)."""
    return parse_model(resources.files("scoring.data").joinpath("criteria.yaml").read_text("utf-8"))


def criterion_ids() -> frozenset[str]:
    """Every known criterion id."""
    return frozenset(c.id for c in load_model().criteria)
