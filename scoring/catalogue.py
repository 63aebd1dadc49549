"""The suggestions catalogue as data (``data/suggestions.yaml``): entries per criterion and rating.

Each entry says what to do and a first step, with optional variants that quote a figure the
respondent gave (``when_variable``). The catalogue is validated as it is read, so a wrong file is
refused with the path of what is wrong; :mod:`scoring.suggestions` chooses and tailors from it.
(A module of its own: pydantic reads its validators' signatures, which a compiled module's
functions do not have; see setup.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interview_flows.texts import LANGS, Text

PLACEHOLDERS = ("response_time_hours", "team_size")
"""Variables a suggestion may quote, named as the flow's question ``variable``s.

Only numbers: free text typed by the respondent (an agency's name, their main challenge) is never
pasted into a sentence; what they said reaches the advice as themes (scoring.themes)."""
NUMERIC = frozenset({"response_time_hours", "team_size"})
"""Quoted only from a number answer."""
ESTIMATES = frozenset({"response_time_hours"})
"""Figures the flow asks for as an estimate: written out as a duration and said to be an estimate
("kira-kira satu minggu menurut perkiraan Bapak/Ibu"), never as a measurement."""
QUOTED: frozenset[str] = frozenset()
QUOTE_LENGTH = 80
RATING_KEYS = ("N", "P", "L", "unknown")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
"""A placeholder in a text: ``{name}``."""


def placeholders(text: str) -> set[str]:
    """The placeholder names in a text.

    >>> sorted(placeholders("about {response_time_hours} hours at {organisation}"))
    ['organisation', 'response_time_hours']
    """
    return set(PLACEHOLDER.findall(text))


class Variant(BaseModel):
    """A tailored version of an entry, used when the respondent gave every ``when_variable``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    when_variable: tuple[str, ...] = Field(min_length=1)
    text: Text
    first_step: Text | None = None

    @field_validator("when_variable", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _placeholders_known(self) -> Variant:
        for name in self.when_variable:
            if name not in PLACEHOLDERS:
                raise ValueError(f"unknown variable {name!r} (known: {', '.join(PLACEHOLDERS)})")
        for text in (self.text, self.first_step):
            for lang in LANGS:
                extra = placeholders(text.get(lang)) - set(self.when_variable) if text else set()
                if extra:
                    raise ValueError(f"placeholder(s) {sorted(extra)} not in when_variable")
        return self


class Entry(BaseModel):
    """One suggestion: what to do and a first step, with optional tailored variants."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: Text
    first_step: Text
    variants: tuple[Variant, ...] = ()

    @model_validator(mode="after")
    def _fallback_is_plain(self) -> Entry:
        # The fallback must read without any answer, so it carries no placeholder.
        for text in (self.text, self.first_step):
            for lang in LANGS:
                if placeholders(text.get(lang)):
                    raise ValueError("text and first_step are the fallback: no placeholders there")
        return self


Catalogue = dict[str, dict[str, Entry]]
"""Criterion id to rating key (N, P, L, unknown) to entry."""


def parse_catalogue(text: str) -> Catalogue:
    """Read a suggestions file (YAML text); pydantic errors name the entry that is wrong.

    >>> cat = parse_catalogue('''
    ... L3.respond:
    ...   N:
    ...     text: {id: Susun SOP., en: Write an SOP.}
    ...     first_step: {id: Buat draf., en: Draft it.}
    ... ''')
    >>> cat["L3.respond"]["N"].text.en
    'Write an SOP.'
    """
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict):
        raise ValueError("a suggestions file maps criterion ids to ratings to entries")
    catalogue: Catalogue = {}
    for cid, by_rating in raw.items():
        if not isinstance(by_rating, dict):
            raise ValueError(f"{cid}: expected a mapping of ratings (N, P, L, unknown)")
        for key in by_rating:
            if key not in RATING_KEYS:
                raise ValueError(f"{cid}.{key}: ratings are {', '.join(RATING_KEYS)}")
        catalogue[str(cid)] = {str(k): Entry.model_validate(v) for k, v in by_rating.items()}
    return catalogue


@cache
def load_catalogue() -> Catalogue:
    """The packaged catalogue (read once)."""
    return parse_catalogue(resources.files("scoring.data").joinpath("suggestions.yaml").read_text("utf-8"))


def catalogue_problems(catalogue: Catalogue, criteria: Iterable[tuple[str, int]]) -> list[str]:
    """What is missing or wrong in a catalogue, given the model's (criterion id, level) pairs.

    Every criterion of levels 2–5 needs an entry for N, P, L and unknown; an entry for a
    criterion the model does not have is a mistake.
    """
    known = dict(criteria)
    problems = [f"{cid}: no such criterion" for cid in catalogue if cid not in known]
    for cid, level in known.items():
        if level < 2:
            continue
        for key in RATING_KEYS:
            if key not in catalogue.get(cid, {}):
                problems.append(f"{cid}: no suggestion for rating {key}")
    return problems
