"""The result as people read it: the level, why, what blocks the next level, and what to do.

Plain text that reads well in a Telegram message (short paragraphs, "•" bullets, no markup) and
in a terminal, in Bahasa Indonesia (default) or English, always under :data:`MAX_CHARS`.
"""

from __future__ import annotations

from interview_flows.schema import Flow
from interview_flows.texts import Text
from scoring.assessment import Assessment, Blocker
from scoring.criteria import Model, load_model

MAX_CHARS = 3500
"""Telegram allows 4096 characters per message; this leaves room for a header or a button text."""
MAX_BLOCKERS_SHOWN = 6

RATING_WORDS: dict[str | None, Text] = {
    "N": Text(id="belum ada", en="not yet"),
    "P": Text(id="sebagian", en="partly"),
    "L": Text(id="sebagian besar", en="largely"),
    "F": Text(id="penuh", en="fully"),
    None: Text(id="belum ada jawaban yang mendukung", en="no answer gives evidence yet"),
}
"""A rating as a respondent reads it. The letters N/P/L/F appear only in researcher outputs
(exports, `score --json`, the PDF report, whose key explains them)."""


_W = {
    "level": Text(id="Tingkat kematangan: {n} dari 5 — {name}", en="Maturity level: {n} of 5 — {name}"),
    "org": Text(id="Gabungan jawaban {n} responden.", en="Combined answers of {n} respondents."),
    "why": Text(id="Mengapa", en="Why"),
    "blocks": Text(id="Yang menghambat tingkat {n}", en="What keeps level {n} out of reach"),
    "notes": Text(id="Catatan", en="Notes"),
    "suggestions": Text(id="Saran", en="Suggestions"),
    "themes": Text(id="Hambatan yang Bapak/Ibu sebut", en="Obstacles you named"),
    "first_step": Text(id="Langkah pertama", en="First step"),
    "confidence": Text(
        id="Kelengkapan bukti: {pct}% kriteria didukung jawaban.",
        en="Evidence: {pct}% of the criteria are backed by answers.",
    ),
    "more": Text(id="• … dan {k} kriteria lainnya", en="• … and {k} more criteria"),
    "needs_f": Text(id="perlu tercapai penuh", en="needs to be fully achieved"),
    "focus": Text(id="Fokus tingkat ini: {focus}", en="The focus of this level: {focus}"),
    "met_one": Text(
        id="Semua kriteria tingkat 2 sudah sebagian besar atau sepenuhnya tercapai.",
        en="Every criterion of level 2 is largely or fully achieved.",
    ),
    "met_range": Text(
        id="Semua kriteria tingkat 2 {to} {n} sudah sebagian besar atau sepenuhnya tercapai.",
        en="Every criterion of levels 2 {to} {n} is largely or fully achieved.",
    ),
    "met_strict": Text(
        id=("Kriteria tingkat di bawah {n} sudah tercapai penuh dan kriteria tingkat {n} sebagian besar tercapai."),
        en=("The criteria of the levels below {n} are fully achieved and those of level {n} largely achieved."),
    ),
    "floor": Text(
        id=("Belum semua kriteria tingkat 2 ({name}) tercapai, sehingga unit berada pada tingkat awal."),
        en=("Not every criterion of level 2 ({name}) is achieved yet, so the unit is at the starting level."),
    ),
    "missing": Text(
        id="Untuk naik ke tingkat {n} ({name}), masih ada {k} kriteria yang perlu dipenuhi.",
        en="To reach level {n} ({name}), {what} to be met.",
    ),
    "missing_unknown": Text(
        id=(
            "Untuk naik ke tingkat {n} ({name}), masih ada {k} kriteria yang perlu dipenuhi; "
            "{u} di antaranya belum didukung jawaban."
        ),
        en=("To reach level {n} ({name}), {what} to be met; for {u} of them no answer gives evidence yet."),
    ),
    "top": Text(
        id=("Ini tingkat tertinggi model. Yang tersisa adalah menjaga dan menyempurnakan praktik yang ada."),
        en="This is the model's highest level. What remains is to keep and refine what is there.",
    ),
}


def render_text(assessment: Assessment, lang: str = "id", flow: Flow | None = None, model: Model | None = None) -> str:
    """The assessment as a short message in ``lang`` ("id" or "en"), under 3500 characters.

    ``flow`` (optional) puts the interview's title on top. An organisation's assessment (from
    :func:`scoring.organisation.combine`) also says how many respondents were combined.
    """
    lang = "en" if lang == "en" else "id"
    model = model or load_model()
    head = _head(assessment, lang, flow)
    why = [_W["why"].get(lang), *_why(assessment, lang, model)]
    blocks = _blocks(assessment, lang)
    notes = [_W["notes"].get(lang), *(f"• {n.get(lang)}" for n in assessment.notes)] if assessment.notes else []
    tail = [_W["confidence"].get(lang).format(pct=round(assessment.confidence * 100))]
    themes = _themes(assessment, lang)
    suggestions = _suggestions(assessment, lang)
    # Drop suggestions from the end until the whole fits; the level and the why always stay.
    while True:
        text = _join([head, why, blocks, themes, notes, suggestions, tail])
        if len(text) <= MAX_CHARS or len(suggestions) <= 1:
            break
        suggestions = suggestions[: _last_item_start(suggestions)]
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 1].rstrip() + "…"
    return text


SHORT_SUGGESTIONS = 3
"""How many suggestions the short result (the message a phone shows first) carries."""

_S = {
    "top": Text(id="Saran utama", en="Main suggestions"),
    "all": Text(id="Semua saran", en="All suggestions"),
    "none": Text(id="Tidak ada saran tambahan.", en="There are no further suggestions."),
}


def render_short(
    assessment: Assessment,
    lang: str = "id",
    flow: Flow | None = None,
    model: Model | None = None,
    *,
    suggestions: int = SHORT_SUGGESTIONS,
) -> str:
    """The result in brief, for a phone: the level, one sentence why, the first suggestions.

    The full explanation is :func:`render_text`; every suggestion with its first step is
    :func:`render_suggestions`.
    """
    lang = "en" if lang == "en" else "id"
    model = model or load_model()
    head = _head(assessment, lang, flow)
    why = [_why_sentences(assessment, lang, model)[0]]
    tips = []
    if assessment.suggestions:
        tips = [_S["top"].get(lang)]
        tips += [f"{i}. {s.text.get(lang)}" for i, s in enumerate(assessment.suggestions[:suggestions], 1)]
    return _join([head, why, tips])


def render_suggestions(assessment: Assessment, lang: str = "id") -> str:
    """Every suggestion of an assessment with its first step, under :data:`MAX_CHARS`."""
    lang = "en" if lang == "en" else "id"
    lines = _suggestions(assessment, lang)
    if not lines:
        return _S["none"].get(lang)
    lines[0] = _S["all"].get(lang)
    text = "\n".join(lines)
    while len(text) > MAX_CHARS and len(lines) > 3:
        lines = lines[: _last_item_start(lines)]
        text = "\n".join(lines)
    return text


def rating_words(rating: str | None, lang: str, letter: bool = False) -> str:
    """A rating in words; with ``letter`` (researcher outputs only) also its letter.

    >>> rating_words("P", "id"), rating_words("P", "en", letter=True), rating_words(None, "en")
    ('sebagian', 'partly (P)', 'no answer gives evidence yet')
    """
    words = RATING_WORDS[rating].get(lang)
    return f"{words} ({rating})" if rating and letter else words


def _head(a: Assessment, lang: str, flow: Flow | None) -> list[str]:
    lines = []
    if flow is not None:
        lines.append(flow.title.get(lang))
    lines.append(_W["level"].get(lang).format(n=a.level, name=a.level_name.get(lang)))
    respondents = getattr(a, "respondents", 0)
    if respondents:
        lines.append(_W["org"].get(lang).format(n=respondents))
    return lines


def _why(a: Assessment, lang: str, model: Model) -> list[str]:
    return [" ".join(_why_sentences(a, lang, model))]


def _why_sentences(a: Assessment, lang: str, model: Model) -> list[str]:
    sentences: list[str] = []
    if a.level == 1:
        sentences.append(_W["floor"].get(lang).format(name=model.level(2).name.get(lang)))
    elif a.rule == "strict" and a.level > 2:
        sentences.append(_W["met_strict"].get(lang).format(n=a.level))
    else:
        to = ("dan" if lang == "id" else "and") if a.level == 3 else ("sampai" if lang == "id" else "to")
        sentences.append(_W["met_one" if a.level == 2 else "met_range"].get(lang).format(n=a.level, to=to))
    sentences.append(_W["focus"].get(lang).format(focus=_lower_first(model.level(a.level).focus.get(lang))))
    if a.level >= 5:
        sentences.append(_W["top"].get(lang))
    else:
        nxt = model.level(a.level + 1)
        k = len(a.blocking)
        unknown = sum(1 for b in a.blocking if b.rating is None)
        key = "missing_unknown" if unknown else "missing"
        what = "1 criterion still needs" if k == 1 else f"{k} criteria still need"  # English only
        sentences.append(_W[key].get(lang).format(n=nxt.level, name=nxt.name.get(lang), k=k, u=unknown, what=what))
    return sentences


def _blocks(a: Assessment, lang: str) -> list[str]:
    if not a.blocking:
        return []
    lines = [_W["blocks"].get(lang).format(n=a.level + 1)]
    for b in a.blocking[:MAX_BLOCKERS_SHOWN]:
        lines.append(f"• {b.name.get(lang)}: {_blocker_words(b, lang)}")
    hidden = len(a.blocking) - MAX_BLOCKERS_SHOWN
    if hidden > 0:
        lines.append(_W["more"].get(lang).format(k=hidden))
    return lines


def _blocker_words(b: Blocker, lang: str) -> str:
    # Words only: the rating letters (N/P/L/F) are the model's keys, not the respondent's words.
    words = RATING_WORDS[b.rating].get(lang)
    if b.reason == "below_F":
        words += f", {_W['needs_f'].get(lang)}"
    return words


def _themes(a: Assessment, lang: str) -> list[str]:
    if not a.themes:
        return []
    labels = ", ".join(_lower_first(t.label.get(lang)) for t in a.themes)
    return [_W["themes"].get(lang), labels[0].upper() + labels[1:] + "."]


def _suggestions(a: Assessment, lang: str) -> list[str]:
    if not a.suggestions:
        return []
    lines = [_W["suggestions"].get(lang)]
    for i, s in enumerate(a.suggestions, 1):
        why = f"{s.why.get(lang)}. " if s.why else ""
        lines.append(f"{i}. {why}{s.text.get(lang)}")
        lines.append(f"   {_W['first_step'].get(lang)}: {s.first_step.get(lang)}")
    return lines


def _last_item_start(lines: list[str]) -> int:
    # Each suggestion is two lines after the heading; cut the last one, and the heading with it
    # when no suggestion would be left.
    return max(1, len(lines) - 2) if len(lines) > 3 else 0


def _join(sections: list[list[str]]) -> str:
    return "\n\n".join("\n".join(s) for s in sections if s)


def _lower_first(text: str) -> str:
    # "Fokus tingkat ini: penyebaran informasi…" reads better than a capital in mid-sentence, but
    # acronyms (SOP, PPID) keep theirs.
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
