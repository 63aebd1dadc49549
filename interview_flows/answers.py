"""Answers: checking a value against its question, and reading typed text as an answer.

Stored values are JSON-friendly: a choice value (``str``), a list of choice values (multiple
choice), a number (``int`` or ``float``), free text (``str``), or ``"dont_know"``.

An open answer that has more than one part is a mapping ``{"parts": [...]}``; each part is a
mapping with a ``kind``: ``{"kind": "text", "text": …}`` (what was typed first),
``{"kind": "probe", "text": …}`` (the answer to the follow-up) or ``{"kind": "probe",
"skipped": true}`` (the follow-up was offered and passed). Other kinds (a voice note, say) are
added the same way; :func:`answer_parts` and :func:`answer_text` read every shape, so code that
wants the words of an open answer never looks inside itself.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from interview_flows.messages import message
from interview_flows.schema import DONT_KNOW, Question

Answer = str | int | float | list[str] | dict[str, Any]
PARTS = "parts"

DONT_KNOW_WORDS = {"dont_know", "tidak tahu", "tdk tahu", "gak tahu", "nggak tahu", "don't know", "don\u2019t know",
                   "dont know", "?"}


@dataclass(eq=False)
class AnswerError(ValueError):
    """An answer the question cannot take; ``code`` and ``params`` make a message in any language.

    Not a frozen dataclass: an exception must take the attributes the interpreter and
    ``contextlib`` set on it (``__traceback__``), and a frozen one failed with
    ``FrozenInstanceError`` when raised inside a ``with`` block of a ``@contextmanager``.
    """

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


def answer_parts(value: Any) -> list[dict[str, Any]]:
    """The parts of an open answer, in the order they were given (a plain text is one part).

    >>> answer_parts("ada")
    [{'kind': 'text', 'text': 'ada'}]
    >>> answer_parts({"parts": [{"kind": "text", "text": "ada"}, {"kind": "probe", "skipped": True}]})[1]
    {'kind': 'probe', 'skipped': True}
    """
    if isinstance(value, dict):
        parts = value.get(PARTS)
        return [dict(p) for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []
    if isinstance(value, str) and value != DONT_KNOW:
        return [{"kind": "text", "text": value}]
    return []


def answer_text(value: Any, sep: str = "\n") -> str:
    """The words of an open answer: the text of every part that has text, joined by ``sep``.

    >>> answer_text({"parts": [{"kind": "text", "text": "ada"}, {"kind": "probe", "text": "SOP 2023"}]})
    'ada\\nSOP 2023'
    """
    return sep.join(str(p["text"]) for p in answer_parts(value) if isinstance(p.get("text"), str) and p["text"])


def with_part(value: Any, part: dict[str, Any]) -> dict[str, Any]:
    """An open answer with one more part (a plain text becomes the first part)."""
    return {PARTS: [*answer_parts(value), part]}


def replace_first_part(old: Any, text: str) -> Answer:
    """A changed first answer that keeps the later parts (the follow-up is not asked again)."""
    later = answer_parts(old)[1:]
    return {PARTS: [{"kind": "text", "text": text}, *later]} if later else text


def has_part(value: Any, kind: str) -> bool:
    """Whether an open answer has a part of this kind."""
    return any(p.get("kind") == kind for p in answer_parts(value))


_WORD = re.compile(r"\w+")
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")


# How the channels write an open answer given in another medium with nothing typed (bot.recordings:
# "[jawaban suara, 0:42]"): it stands for a whole answer, never a thin one.
_MEDIA_PLACEHOLDER = re.compile(r"^\[[^\[\]]+, \d+:\d\d(:\d\d)?\]$")


def is_media_placeholder(text: str) -> bool:
    """Whether an open answer is the placeholder of a part given in another medium (a recording).

    >>> is_media_placeholder("[jawaban suara, 0:42]"), is_media_placeholder("sudah")
    (True, False)
    """
    return bool(_MEDIA_PLACEHOLDER.match(text))


def is_thin(text: str, min_words: int, vague: Iterable[str]) -> bool:
    """Whether an open answer says too little to stand alone: fewer than ``min_words`` words, or
    only a vague phrase ("ada", "sudah", "biasa saja"…), compared without case or end punctuation.

    >>> is_thin("Sudah.", 3, ["sudah"]), is_thin("Ada SOP tanggapan sejak 2021", 3, [])
    (True, False)
    """
    folded = " ".join(_EDGE_PUNCT.sub("", text.casefold()).split())
    if folded in {v.casefold() for v in vague}:
        return True
    return len(_WORD.findall(text)) < min_words


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
        check_choice_count(question, len(chosen), exclusive=bool(exclusive))
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


def check_choice_count(question: Question, count: int, *, exclusive: bool = False) -> None:
    """Refuse a selection of ``count`` options outside the question's ``min_choices`` and
    ``max_choices`` (an exclusive option such as "none of these" stands alone and always fits)."""
    if exclusive:
        return
    if question.max_choices is not None and count > question.max_choices:
        raise AnswerError("too_many_choices", {"max": question.max_choices, "count": count})
    if question.min_choices is not None and count < question.min_choices:
        raise AnswerError("too_few_choices", {"min": question.min_choices, "count": count})


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
    if isinstance(value, dict):
        return _describe_parts(value, lang)
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


def _describe_parts(value: dict[str, Any], lang: str) -> str:
    # The first part as typed; a follow-up on its own line, marked so a reader sees it was asked.
    lines = []
    for part in answer_parts(value):
        if part.get("kind") == "probe":
            if part.get("skipped"):
                lines.append("+ (pertanyaan lanjutan dilewati)" if lang != "en" else "+ (follow-up skipped)")
            elif part.get("text"):
                lines.append(f"+ {part['text']}")
        elif part.get("text"):
            lines.append(str(part["text"]))
    return "\n".join(lines)
