"""The themes codebook as data: its pydantic models, parsed and validated from ``data/themes.yaml``.

Kept apart from :mod:`scoring.themes` (which imports and re-exports every name here) so that the
matcher can be compiled with mypyc while these models stay plain Python: compiled, a class keeps
only the outer type of each annotation (``tuple`` for ``tuple[ThemeDef, ...]``), so pydantic would
no longer validate what is inside, and its validators and methods are no Python functions.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interview_flows.texts import Text

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|[.;!?]")
_STOPS = frozenset(".;!?")
_THEME_ID = r"^[a-z][a-z_]*$"


def _words_of(text: str) -> list[str]:
    return [m.group(0).lower().replace("’", "'") for m in _WORD.finditer(text) if m.group(0) not in _STOPS]


# --- the codebook as data ------------------------------------------------------------------------


class Cues(BaseModel):
    """Cue words and phrases of one theme, per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: tuple[str, ...] = Field(min_length=1)
    en: tuple[str, ...] = Field(min_length=1)

    @field_validator("id", "en")
    @classmethod
    def _words(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        for cue in cues:
            if not _words_of(cue):
                raise ValueError(f"cue {cue!r} has no words")
        return cues


class ThemeDef(BaseModel):
    """One theme of the codebook."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_THEME_ID)
    label: Text
    description: Text
    cues: Cues


class Negation(BaseModel):
    """The words that turn a cue around, and the words that end a clause."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    negators: tuple[str, ...] = Field(min_length=1)
    problems: tuple[str, ...] = Field(min_length=1)
    enough: tuple[str, ...] = ()
    boundaries: tuple[str, ...] = ()


class Codebook(BaseModel):
    """The whole codebook: themes, the choice mapping, negation words."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    themes: tuple[ThemeDef, ...] = Field(min_length=1)
    choices: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    negation: Negation

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        ids = [t.id for t in self.themes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"themes listed twice: {dupes}")
        for qid, options in self.choices.items():
            for value, themes in options.items():
                unknown = sorted(set(themes) - set(ids))
                if unknown:
                    raise ValueError(f"choices.{qid}.{value}: unknown theme(s) {unknown}")
        return self

    def theme(self, theme_id: str) -> ThemeDef:
        """The theme with this id (KeyError when there is none)."""
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Theme ids in codebook order."""
        return tuple(t.id for t in self.themes)


def parse_codebook(text: str) -> Codebook:
    """Parse a codebook's YAML text (pydantic errors name the path of what is wrong)."""
    return Codebook.model_validate(yaml.safe_load(text))


@cache
def load_codebook() -> Codebook:
    """The packaged codebook (read once)."""
    return parse_codebook(resources.files("scoring.data").joinpath("themes.yaml").read_text("utf-8"))
