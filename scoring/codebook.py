"""The themes codebook as data (``data/themes.yaml``): themes, cues, the choice mapping, negation.

Each theme has an id, a label and a description in both languages and its cue words and phrases
per language; the challenges options are mapped onto themes; the negation words say what turns a
cue around. The codebook is validated as it is read, so a wrong file is refused with the path of
what is wrong; :mod:`scoring.themes` compiles it for matching. (A module of its own: pydantic
reads its validators' signatures, which a compiled module's functions do not have; see setup.py.)
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interview_flows.schema import Flow
from interview_flows.texts import Text

_THEME_ID = r"^[a-z][a-z_]*$"
_LETTER = re.compile(r"[^\W_]")  # a cue has a word when it has a letter or digit (scoring.themes)


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
            if not _LETTER.search(cue):
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


def codebook_problems(codebook: Codebook, flow: Flow) -> list[str]:
    """What in the codebook's choice mapping does not fit ``flow`` (empty when all fits).

    A mapped question the flow does not have is fine (another flow may have it); a mapped option
    the flow's question lacks, or a question whose options are not all mapped, is a mistake.
    """
    problems: list[str] = []
    for qid, options in codebook.choices.items():
        try:
            question = flow.question(qid)
        except KeyError:
            continue
        values = {c.value for c in question.choices}
        problems += [f"choices.{qid}.{v}: no such option in {flow.id}" for v in options if v not in values]
        problems += [f"choices.{qid}: option {v!r} of {flow.id} is not mapped" for v in sorted(values - set(options))]
    return problems
