"""Answers: checking a value against its question, and reading typed text as an answer.

Stored values are JSON-friendly: a choice value (``str``), a list of choice values (multiple
choice), a number (``int`` or ``float``), free text (``str``), or ``"dont_know"``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from interview_flows.messages import message
from interview_flows.schema import DONT_KNOW, Question

Answer = str | int | float | list[str]

DONT_KNOW_WORDS = {"dont_know", "tidak tahu", "tdk tahu", "gak tahu", "nggak tahu", "don't know", "don\u2019t know",
                   "dont know", "?"}


@dataclass(frozen=True)
class AnswerError(ValueError):
    """An answer the question cannot take; ``code`` and ``params`` make a message in any language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The explanation in ``lang``."""
        return message(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")


# Invisible characters that carry meaning, kept in free text: the zero-width non-joiner (Persian,
# Indic scripts) and joiner (emoji sequences such as woman + ZWJ + laptop, the rainbow flag; Indic
# conjuncts). Variation selectors (U+FE0E, U+FE0F) are combining marks: they stay without a list.
JOINERS = "\u200c\u200d"
# Tag characters are invisible copies of ASCII: outside a flag (black flag + a subdivision code in
# tags + CANCEL TAG, as for Scotland) they can only hide text from the people who read the answers.
_FLAG_TAG_SEQUENCE = re.compile("(\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,7}\U000e007f)")
# Real text never has two joiners in a row; a run of them can only smuggle hidden bits.
_JOINER_RUN = re.compile(f"[{JOINERS}]{{2,}}")
# A variation selector picks one glyph of the character before it, so real text has one at a time;
# a run of them is "emoji smuggling": bytes hidden after a visible character, 1 selector per byte.
_SELECTOR_RUN = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{2,}")
# A joiner joins two characters: at either end of the text it joins nothing.
_EDGES = re.compile(f"^[\\s{JOINERS}]+|[\\s{JOINERS}]+$")


def clean_text(text: str) -> str:
    """Free text as we keep it: control, bidi and invisible format characters removed, emoji and
    script joiners kept, outer blanks trimmed, Unicode NFC.

    Removed: control characters but newline and tab, bidi embeddings, overrides and marks,
    zero-width spaces, soft hyphens, lone surrogates, and tag characters outside a flag. Kept:
    U+200C and U+200D inside the text (one at a time), variation selectors (one at a time), and
    flag tag sequences.

    >>> clean_text("  Satu\\x00 dua\\u200b  ")
    'Satu dua'
    >>> clean_text("\\u202e👩\\u200d💻 mi\\u200cخواهم\\u200d") == "👩\\u200d💻 mi\\u200cخواهم"
    True
    """
    pieces = _FLAG_TAG_SEQUENCE.split(text)
    # split() with a group: flags at odd positions, kept whole; the text between them is filtered.
    kept = "".join(part if i % 2 else _visible(part) for i, part in enumerate(pieces))
    kept = _JOINER_RUN.sub(lambda run: run.group()[0], kept)
    kept = _SELECTOR_RUN.sub(lambda run: run.group()[0], kept)
    # Normalise last: removing a character can leave a base and a combining mark to compose.
    return unicodedata.normalize("NFC", _EDGES.sub("", kept))


def _visible(text: str) -> str:
    # Keep newlines and tabs; drop other control and format characters (NUL, zero-width, bidi).
    return "".join(
        ch for ch in text if ch in "\n\t" or ch in JOINERS or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


def validate_answer(question: Question, value: Any) -> Answer:
    """Check ``value`` for ``question`` and return it normalised; raise :class:`AnswerError`.

    >>> from interview_flows.schema import Question
    >>> q = Question.model_validate({"id": "n", "section": "s", "type": "number",
    ...                              "text": {"id": "Berapa?", "en": "How many?"}, "min": 0, "max": 50})
    >>> validate_answer(q, "12")
    12
    >>> validate_answer(q, 99)
    Traceback (most recent call last):
    ...
    interview_flows.answers.AnswerError: Please give a number from 0 to 50.
    """
    if question.type == "note":
        raise AnswerError("note_not_answerable")
    if value == DONT_KNOW:
        if not question.dont_know:
            raise AnswerError("dont_know_not_offered")
        return DONT_KNOW
    if question.type in ("single_choice", "yes_no"):
        if not isinstance(value, str) or question.choice(value) is None:
            raise AnswerError("unknown_choice", {"value": str(value)[:40]})
        return value
    if question.type == "multiple_choice":
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not values:
            raise AnswerError("choose_at_least_one")
        chosen: list[str] = []
        for v in values:
            if not isinstance(v, str) or question.choice(v) is None:
                raise AnswerError("unknown_choice", {"value": str(v)[:40]})
            if v not in chosen:
                chosen.append(v)
        exclusive = [v for v in chosen if question.choice(v).exclusive]  # type: ignore[union-attr]
        if exclusive and len(chosen) > 1:
            label = question.choice(exclusive[0]).label  # type: ignore[union-attr]
            raise AnswerError("exclusive_choice", {"label_id": label.id, "label_en": label.en})
        # Keep the flow's order so the same selection is always stored the same way.
        order = {c.value: i for i, c in enumerate(question.choices)}
        return sorted(chosen, key=order.__getitem__)
    if question.type in ("number", "scale"):
        number = _number(value)
        if number is not None and not math.isfinite(number):
            # "999…9" past float's range reads as infinity: beyond any bound, never a crash.
            raise AnswerError("number_out_of_range", {"min": _fmt(question.min), "max": _fmt(question.max)})
        if number is None or (question.integer or question.type == "scale") and number != int(number):
            raise AnswerError("not_a_whole_number" if number is not None else "not_a_number")
        low, high = question.min, question.max
        if (low is not None and number < low) or (high is not None and number > high):
            raise AnswerError("number_out_of_range", {"min": _fmt(low), "max": _fmt(high)})
        return int(number) if number == int(number) else number
    # Free text.
    if not isinstance(value, str):
        raise AnswerError("text_expected")
    text = clean_text(value)
    if not text:
        raise AnswerError("empty_text")
    if len(text) > question.max_length:
        raise AnswerError("text_too_long", {"limit": question.max_length, "length": len(text)})
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        # Indonesian writes 2,5 where English writes 2.5; accept both, never a thousands separator.
        if re.fullmatch(r"-?\d+([.,]\d+)?", text):
            return float(text.replace(",", "."))
    return None


def _fmt(n: float | None) -> str:
    if n is None:
        return "…"
    return str(int(n)) if n == int(n) else str(n)


def parse_text_answer(question: Question, text: str, lang: str = "id") -> Answer:
    """Read a typed line as an answer to ``question`` (the terminal and Telegram text input).

    A choice by its number (1-based), its value or its label; several choices separated by commas;
    a number; free text as typed; ``dont_know`` / "tidak tahu" where offered.

    >>> from interview_flows.schema import Question
    >>> q = Question.model_validate({"id": "p", "section": "s", "type": "multiple_choice",
    ...     "text": {"id": "Platform?", "en": "Platforms?"},
    ...     "choices": [{"value": "fb", "label": {"id": "Facebook", "en": "Facebook"}},
    ...                 {"value": "ig", "label": {"id": "Instagram", "en": "Instagram"}}]})
    >>> parse_text_answer(q, "2, fb")
    ['fb', 'ig']
    """
    raw = text.strip()
    if question.dont_know and raw.lower() in DONT_KNOW_WORDS:
        return DONT_KNOW
    if question.type in ("single_choice", "yes_no"):
        return validate_answer(question, _choice_value(question, raw))
    if question.type == "multiple_choice":
        parts = [p for p in re.split(r"[,;]", raw) if p.strip()]
        values = [_choice_value(question, p.strip()) for p in parts]
        if question.dont_know and DONT_KNOW in values:
            # "Don't know" (its number or its words) is an answer on its own, never one of several.
            if all(v == DONT_KNOW for v in values):
                return DONT_KNOW
            raise AnswerError("exclusive_choice", {"label_id": "Tidak tahu", "label_en": "Don't know"})
        return validate_answer(question, values)
    if question.type == "scale" and question.dont_know and raw == str(len(question.scale_points()) + 1):
        return DONT_KNOW
    return validate_answer(question, raw)


def _choice_value(question: Question, token: str) -> str:
    options = list(question.choices)
    if question.dont_know and (token == str(len(options) + 1) or token.casefold() in DONT_KNOW_WORDS):
        return DONT_KNOW
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if token.isdecimal() and 1 <= int(token) <= len(options):
        return options[int(token) - 1].value
    folded = token.casefold()
    for c in options:
        if folded in (c.value.casefold(), c.label.id.casefold(), c.label.en.casefold()):
            return c.value
    if question.type == "yes_no":
        if folded in ("y", "ya", "iya", "yes"):
            return "yes"
        if folded in ("n", "t", "tidak", "no", "tdk"):
            return "no"
    return token


def describe_answer(question: Question, value: Any, lang: str = "id") -> str:
    """An answer as a person reads it: choice labels, the number, the text.

    >>> from interview_flows.schema import Question
    >>> q = Question.model_validate({"id": "q", "section": "s", "type": "yes_no", "text": {"id": "?", "en": "?"}})
    >>> describe_answer(q, "yes", "id"), describe_answer(q, "dont_know", "en")
    ('Ya', "Don't know")
    """
    if value is None:
        return ""
    if value == DONT_KNOW:
        return "Don't know" if lang == "en" else "Tidak tahu"
    if isinstance(value, list):
        return ", ".join(describe_answer(question, v, lang) for v in value)
    if isinstance(value, str) and question.choices:
        choice = question.choice(value)
        return choice.label.get(lang) if choice else value
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)
