"""Texts carried in both of the product's languages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")
DEFAULT_LANG: Lang = "id"


def normalise_lang(code: str | None) -> Lang:
    """Map a language code (for example Telegram's ``en-GB``) to ``id`` or ``en``; Indonesian otherwise.

    >>> normalise_lang("en-GB"), normalise_lang("id"), normalise_lang("de"), normalise_lang(None)
    ('en', 'id', 'id', 'id')
    """
    base = (code or "").split("-")[0].split("_")[0].lower()
    return "en" if base == "en" else "id"


class Text(BaseModel):
    """A text in Bahasa Indonesia (``id``, the default) and English (``en``); both are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang``; Indonesian for any language we do not carry.

        >>> Text(id="Ya", en="Yes").get("en")
        'Yes'
        """
        return self.en if lang == "en" else self.id
