"""Improvement suggestions: a bilingual catalogue (``data/suggestions.yaml``), chosen and tailored.

Choice (ogmm.md §5): the gaps of the lowest level not reached first (the criteria that block the
next level), then the criteria of the level after it; at most five; never for a criterion rated F.
Tailoring: an entry's variant may quote what the respondent said, through the flow's question
``variable``s; a variant is used only when every variable it names was answered, so no
placeholder is ever left unfilled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from interview_flows.answers import answer_text
from interview_flows.schema import DONT_KNOW, Flow, Question
from interview_flows.texts import Text
from scoring.catalogue import (
    ESTIMATES,
    NUMERIC,
    PLACEHOLDER,
    PLACEHOLDERS,
    QUOTE_LENGTH,
    QUOTED,
    Catalogue,
    Entry,
    load_catalogue,
    placeholders,
)
from scoring.levels import Block, severity
from scoring.ratings import CriterionResult
from scoring.values import python_class

MAX_SUGGESTIONS = 5


@python_class
@dataclass(frozen=True)
class Suggestion:
    """A suggestion, filled in both languages, with what it addresses and why.

    ``kind`` is ``blocker`` (keeps the next level out of reach), ``next`` (a criterion of a later
    level), ``theme`` (an obstacle the respondent named), ``strength`` (a criterion rated F to
    build on) or ``upkeep`` (keeping the top level). ``addresses`` is a criterion id or a theme id;
    ``because`` the ids of the questions it rests on; ``why`` says the reason in a few words.
    ``criterion`` is the criterion id for criterion suggestions, ``None`` for a theme.
    """

    criterion: str | None
    rating: str | None
    text: Text
    first_step: Text
    kind: str = "blocker"
    addresses: str = ""
    because: tuple[str, ...] = ()
    why: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: kind, addresses, because, why, criterion, rating, text, first_step."""
        return {
            "kind": self.kind,
            "addresses": self.addresses or self.criterion,
            "because": list(self.because),
            "why": self.why.model_dump() if self.why else None,
            "criterion": self.criterion,
            "rating": self.rating,
            "text": self.text.model_dump(),
            "first_step": self.first_step.model_dump(),
        }


def order_for_suggestions(level: int, results: Mapping[str, CriterionResult], blocks: Sequence[Block]) -> list[str]:
    """Criterion ids in the order they deserve a suggestion; F criteria never appear.

    The blockers of the next level first (in the order :func:`scoring.levels.blocking` gives),
    then the criteria of the level after it, weakest first. At level 4 and 5, when nothing blocks
    any more, the criteria that are not yet F, lowest level first.
    """
    chosen = [b.id for b in blocks if results[b.id].rating != "F"]
    following = [r for r in results.values() if r.level == level + 2 and r.rating != "F" and r.id not in chosen]
    chosen += [r.id for r in sorted(following, key=lambda r: severity(r.rating))]
    if not chosen:
        rest = [r for r in results.values() if r.level >= 2 and r.rating != "F"]
        chosen = [r.id for r in sorted(rest, key=lambda r: (r.level, severity(r.rating)))]
    return chosen


def suggest(
    level: int,
    results: Mapping[str, CriterionResult],
    blocks: Sequence[Block],
    variables: Mapping[str, Text] | None = None,
    catalogue: Catalogue | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """Up to ``limit`` suggestions for these results, tailored with the respondent's ``variables``.

    ``variables`` maps a placeholder name to its value already written in both languages (see
    :func:`variable_texts`).
    """
    return [
        Suggestion(cid, rating, text, first_step)
        for cid, rating, text, first_step in chosen_texts(level, results, blocks, variables, catalogue, limit)
    ]


def chosen_texts(
    level: int,
    results: Mapping[str, CriterionResult],
    blocks: Sequence[Block],
    variables: Mapping[str, Text] | None = None,
    catalogue: Catalogue | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[tuple[str, str | None, Text, Text]]:
    """What :func:`suggest` says, as (criterion id, rating, text, first step), before it is made a
    :class:`Suggestion` (scoring.advice makes its own, with the reason beside it)."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    variables = variables or {}
    out: list[tuple[str, str | None, Text, Text]] = []
    for cid in order_for_suggestions(level, results, blocks):
        rating = results[cid].rating
        entry = catalogue.get(cid, {}).get(rating or "unknown")
        if entry is None:
            continue
        out.append((cid, rating, *_tailored(entry, variables)))
        if len(out) >= limit:
            break
    return out


def _tailor(cid: str, rating: str | None, entry: Entry, variables: Mapping[str, Text]) -> Suggestion:
    return Suggestion(cid, rating, *_tailored(entry, variables))


def _tailored(entry: Entry, variables: Mapping[str, Text]) -> tuple[Text, Text]:
    """The entry's text and first step: the first variant whose variables were all given, filled."""
    for variant in entry.variants:
        for name in variant.when_variable:
            if name not in variables:
                break
        else:  # every variable it names was given
            first = variant.first_step or entry.first_step
            return _fill(variant.text, variables), _fill(first, variables)
    return entry.text, entry.first_step


_FILLED: dict[tuple[Any, ...], Text] = {}


def _fill(text: Text, variables: Mapping[str, Text]) -> Text:
    names = _placeholders_of(text.id, text.en)
    if not names:
        return text
    # The same sentence with the same figures recurs: each filled text is written once.
    parts = [text.id, text.en]
    for n in names:
        given = variables.get(n)
        if given is None:
            break  # a placeholder not given: the substitution below says so, as it always did
        parts += (given.id, given.en)
    key = tuple(parts) if len(parts) == 2 + 2 * len(names) else None
    if key is not None and (found := _FILLED.get(key)) is not None:
        return found
    # One pass with re.sub: braces in a respondent's answer are never read as a placeholder.
    filled = Text(
        id=PLACEHOLDER.sub(lambda m: variables[m.group(1)].id, text.id),
        en=PLACEHOLDER.sub(lambda m: variables[m.group(1)].en, text.en),
    )
    if key is not None:
        if len(_FILLED) >= 2048:
            _FILLED.clear()
        _FILLED[key] = filled
    return filled


@lru_cache(maxsize=4096)
def _placeholders_of(*texts: str) -> tuple[str, ...]:
    """The placeholder names of these texts, each once, sorted."""
    return tuple(sorted({name for t in texts for name in placeholders(t)}))


# --- the respondent's variables, written out -----------------------------------------------------


def variable_texts(flow: Flow, answers: Mapping[str, Any]) -> dict[str, Text]:
    """The placeholders this respondent's answers can fill, written in both languages.

    ``answers`` are the answers that count (see :func:`scoring.ratings.effective_answers`); a
    variable answered "don't know", left empty, or (for the numeric ones) not a number is absent,
    so the suggestion falls back to its plain text.
    """
    found: dict[str, Text] = {}
    for name, qid, question in _placeholder_questions(flow):
        value = answers.get(qid)
        if value is None or value == DONT_KNOW or value == "" or value == []:
            continue
        text = _rendered(name, question, value)
        if text is not None:
            found[name] = text
    return found


_PLACEHOLDER_QUESTIONS: dict[int, tuple[Flow, tuple[tuple[str, str, Question], ...]]] = {}


def _placeholder_questions(flow: Flow) -> tuple[tuple[str, str, Question], ...]:
    """(placeholder, question id, question) for each variable of the flow a suggestion may quote."""
    known = _PLACEHOLDER_QUESTIONS.get(id(flow))
    if known is None or known[0] is not flow:
        found = tuple((name, qid, flow.question(qid)) for name, qid in flow.variables().items() if name in PLACEHOLDERS)
        if len(_PLACEHOLDER_QUESTIONS) > 64:
            _PLACEHOLDER_QUESTIONS.clear()
        known = _PLACEHOLDER_QUESTIONS[id(flow)] = (flow, found)
    return known[1]


_NUMBERS: dict[tuple[str, type, float], Text | None] = {}


def _rendered(name: str, question: Question, value: Any) -> Text | None:
    # A figure reads the same every time it is given: each is written out once.
    if name in NUMERIC and type(value) in (int, float):
        key = (name, type(value), value)
        if key in _NUMBERS:
            return _NUMBERS[key]
        if len(_NUMBERS) >= 2048:
            _NUMBERS.clear()
        text = _NUMBERS[key] = _render(name, question, value)
        return text
    return _render(name, question, value)


def _render(name: str, question: Question, value: Any) -> Text | None:
    if name in NUMERIC:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if name in ESTIMATES:
            return estimated_hours(value)
        return Text(id=format_number(value, "id"), en=format_number(value, "en"))
    if question.choices:
        values = value if isinstance(value, list) else [value]
        labels = [c.label for v in values if (c := question.choice(v)) is not None]
        if not labels:
            return None
        return Text(id=", ".join(t.id for t in labels), en=", ".join(t.en for t in labels))
    # An open answer in parts (after a probe) is quoted by its words, never as stored data.
    words = " ".join((answer_text(value, " ") if isinstance(value, dict) else str(value)).split())
    if not words:
        return None
    if name in QUOTED:
        short = shorten(words, QUOTE_LENGTH)
        return Text(id=f"“{short}”", en=f"“{short}”")
    short = shorten(words, QUOTE_LENGTH)
    return Text(id=short, en=short)


_WORDS_ID = {1: "satu", 2: "dua", 3: "tiga", 4: "empat"}
_WORDS_EN = {1: "a", 2: "two", 3: "three", 4: "four"}


def duration(hours: float, lang: str) -> str:
    """A number of hours as people say it: hours up to 48, then days, whole weeks as weeks.

    >>> duration(12, "id"), duration(72, "en"), duration(168, "id"), duration(168, "en")
    ('12 jam', '3 days', 'satu minggu', 'a week')
    >>> duration(1.5, "id"), duration(100, "en"), duration(720, "id")
    ('1,5 jam', '4 days', '30 hari')
    """
    if hours <= 48:
        unit = "jam" if lang == "id" else ("hour" if hours == 1 else "hours")
        return f"{format_number(hours, lang)} {unit}"
    days = round(hours / 24)
    weeks, rest = divmod(days, 7)
    if rest == 0 and weeks in _WORDS_ID:
        return f"{_WORDS_ID[weeks]} minggu" if lang == "id" else f"{_WORDS_EN[weeks]} week{'s' if weeks > 1 else ''}"
    return f"{days} hari" if lang == "id" else f"{days} days"


def estimated_hours(hours: float) -> Text:
    """An estimated duration, said as an estimate in both languages.

    >>> estimated_hours(168).id
    'kira-kira satu minggu menurut perkiraan Bapak/Ibu'
    >>> estimated_hours(12).en
    'about 12 hours by your estimate'
    """
    return Text(
        id=f"kira-kira {duration(hours, 'id')} menurut perkiraan Bapak/Ibu",
        en=f"about {duration(hours, 'en')} by your estimate",
    )


def format_number(value: float, lang: str) -> str:
    """A number as people write it: no needless ``.0``, and a decimal comma in Indonesian.

    >>> format_number(24.0, "id"), format_number(1.5, "id"), format_number(1.5, "en")
    ('24', '1,5', '1.5')
    """
    text = f"{value:g}" if value != int(value) else str(int(value))
    return text.replace(".", ",") if lang == "id" else text


def shorten(text: str, limit: int = QUOTE_LENGTH) -> str:
    """Cut a text to ``limit`` characters at a word boundary, ending with an ellipsis.

    >>> shorten("kurang SDM dan anggaran untuk konten", 20)
    'kurang SDM dan…'
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"
