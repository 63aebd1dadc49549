"""The enabler catalogue as data (``data/enablers.yaml``): what helps with each named obstacle.

One entry per theme of the codebook (scoring.themes), a text and a first step, and the upkeep
entries that keep the top level, each tied to the criterion it keeps. Validated as it is read;
:mod:`scoring.advice` builds the plan from it. (A module of its own: the compiled modules of
setup.py cannot hold pydantic models.)
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field

from interview_flows.texts import Text

MIN_UPKEEP = 2
"""Upkeep entries the catalogue must have: a plan at the top level gives at least this many."""


class Enabler(BaseModel):
    """What helps with one obstacle, or keeps one practice: a text and a first step."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: Text
    first_step: Text


class Upkeep(Enabler):
    """An upkeep suggestion for the top level, tied to the criterion it keeps."""

    criterion: str = Field(pattern=r"^L[1-5]\.[a-z_]+$")


class Enablers(BaseModel):
    """The enabler catalogue: one entry per theme id, and the upkeep entries."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    themes: dict[str, Enabler]
    upkeep: tuple[Upkeep, ...] = Field(min_length=MIN_UPKEEP)


def parse_enablers(text: str) -> Enablers:
    """Parse an enabler catalogue's YAML text."""
    return Enablers.model_validate(yaml.safe_load(text))


@cache
def load_enablers() -> Enablers:
    """The packaged enabler catalogue (read once)."""
    return parse_enablers(resources.files("scoring.data").joinpath("enablers.yaml").read_text("utf-8"))
