"""Messages as the respondent sees them (Telegram HTML): the consent, a question, an answered
question, the review list. Pure functions of the flow and the session; no I/O."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.recordings import TYPED_NAMES, is_placeholder, placeholder_clock, spoken
from bot.telegram.keyboards import numbered
from bot.texts import t
from interview_flows.answers import describe_answer
from interview_flows.engine import Interview, ReviewItem
from interview_flows.schema import Flow, Question

REVIEW_PAGE = 8
REVIEW_TEXT_CHARS = 70
REVIEW_ANSWER_CHARS = 120


def _n(value: float | None) -> str:
    if value is None:
        return "…"
    return str(int(value)) if value == int(value) else str(value)


def consent_text(flow: Flow, lang: str, *, study_name: str | None = None, notice: str | None = None) -> str:
    """The greeting: what the interview is, the consent text, and the question to agree."""
    parts = []
    if notice:
        parts.append(escape(notice))
    parts.append(f"<b>Matang — {escape(flow.title.get(lang))}</b>")
    if study_name:
        parts.append(escape(t("tg_study", lang, name=study_name)))
    parts.append(escape(flow.description.get(lang)))
    parts.append(escape(flow.consent.get(lang)))
    parts.append(escape(t("tg_minutes", lang, minutes=flow.estimated_minutes)))
    parts.append(f"<b>{escape(t('consent_question', lang))}</b>")
    return "\n\n".join(parts)


def question_text(engine: Interview, session: Any, q: Question, lang: str, *,
                  current: Any = None, ticked: list[str] | None = None) -> str:
    """A question message: progress and section, the question, how to answer, the current answer."""
    flow = engine.flow
    section = flow.section(q.section)
    pos = flow.position(q.id)
    lines: list[str] = []
    first_of_section = pos == 0 or flow.questions[pos - 1].section != q.section
    if q.answerable:
        lines.append(f"<i>{engine.progress(session)} · {escape(section.title.get(lang))}</i>")
    else:
        lines.append(f"<i>{escape(section.title.get(lang))}</i>")
    if first_of_section and section.intro:
        lines.append(escape(section.intro.get(lang)))
    lines.append("")
    head = escape(q.text.get(lang))
    if q.answerable:
        head = f"<b>{head}</b>" + (f" {escape(t('optional', lang))}" if not q.required else "")
    lines.append(head)
    if q.hint:
        lines.append(f"<i>{escape(q.hint.get(lang))}</i>")
    if q.choices and numbered(q, lang):
        lines.append("")
        lines.extend(f"{i}. {escape(c.label.get(lang))}" for i, c in enumerate(q.choices, 1))
    how = _how_to_answer(q, lang)
    if how:
        lines.append("")
        lines.append(f"<i>{escape(how)}</i>")
    if current is not None:
        lines.append("")
        key = "probe_context" if engine.probing(session) else "tg_current_answer"
        lines.append(escape(t(key, lang, answer=spoken(describe_answer(q, current, lang), lang))))
    return "\n".join(lines).strip()


def _how_to_answer(q: Question, lang: str) -> str:
    if q.type in ("single_choice", "yes_no"):
        return t("tg_hint_choice", lang)
    if q.type == "multiple_choice":
        return t("tg_hint_multi", lang)
    if q.type == "scale":
        ends = ""
        if q.min_label and q.max_label:
            ends = " " + t("scale_ends", lang, min=_n(q.min), min_label=q.min_label.get(lang),
                           max=_n(q.max), max_label=q.max_label.get(lang))
        return t("tg_hint_scale", lang) + ends
    if q.type == "number":
        if q.min is not None and q.max is not None:
            return t("tg_hint_number_range", lang, min=_n(q.min), max=_n(q.max))
        return t("tg_hint_number", lang)
    if q.type == "text":
        return t("tg_hint_text", lang, limit=q.max_length)
    return ""


def answered_text(flow: Flow, q: Question, lang: str, value: Any = None, *, skipped: bool = False) -> str:
    """A question message once answered: the question and the answer, no buttons."""
    section = flow.section(q.section)
    head = f"<i>{escape(section.title.get(lang))}</i>\n\n"
    if not q.answerable:
        return head + escape(q.text.get(lang))
    shown = t("skipped", lang) if skipped or value is None else spoken(describe_answer(q, value, lang), lang)
    if not skipped and is_placeholder(value):  # a recording alone: said as the review says it
        shown = t("review_voice_only", lang, recordings=f"🎙 {placeholder_clock(value)}")
    mark = "⏭" if skipped or value is None else "✅"
    return f"{head}<b>{escape(q.text.get(lang))}</b>\n{mark} {escape(shown)}"


def expected_input(q: Question | None, lang: str) -> str:
    """What the current step expects, for a polite hint after a sticker, photo, voice…"""
    if q is None:
        return t("tg_no_interview", lang)
    if q.type == "note":
        return t("tg_expect_note", lang)
    if q.type == "multiple_choice":
        return t("tg_expect_multi", lang)
    if q.type in ("single_choice", "yes_no", "scale"):
        return t("tg_expect_choice", lang)
    if q.type == "number":
        return t("tg_expect_number", lang)
    if q.variable in TYPED_NAMES:  # a name to group by: typed, never a recording
        return t("tg_expect_typed", lang)
    return t("tg_expect_text", lang)


def review_page(engine: Interview, items: list[ReviewItem], page: int, lang: str, *,
                hint: str | None = None, voices: dict[str, str] | None = None) -> tuple[str, list[tuple[int, int]], int]:
    """One page of the review: its text, the ``(number, flow position)`` shown, the page count.

    ``voices``: by question id, the recordings that answer it (``🎙 0:42``), shown with its text.
    """
    if not items:
        return escape(t("review_empty", lang)), [], 1
    pages = (len(items) + REVIEW_PAGE - 1) // REVIEW_PAGE
    page = max(0, min(page, pages - 1))
    chunk = list(enumerate(items, 1))[page * REVIEW_PAGE: (page + 1) * REVIEW_PAGE]
    lines = [f"<b>{escape(t('review_title', lang))}</b>"]
    shown: list[tuple[int, int]] = []
    for n, item in chunk:
        q = item.question
        text = q.text.get(lang)
        if len(text) > REVIEW_TEXT_CHARS:
            text = text[: REVIEW_TEXT_CHARS - 1].rstrip() + "…"
        answer = t("skipped", lang) if item.skipped else spoken(describe_answer(q, item.value, lang), lang)
        if len(answer) > REVIEW_ANSWER_CHARS:
            answer = answer[: REVIEW_ANSWER_CHARS - 1].rstrip() + "…"
        voice = (voices or {}).get(q.id) if not item.skipped else None
        if voice and is_placeholder(item.value):
            answer, voice = t("review_voice_only", lang, recordings=voice), None
        lines.append(f"\n{n}. {escape(text)}\n→ <b>{escape(answer)}</b>" + (f" + {escape(voice)}" if voice else ""))
        shown.append((n, engine.flow.position(q.id)))
    footer = []
    if pages > 1:
        footer.append(t("tg_review_page", lang, page=page + 1, pages=pages))
    if hint:
        footer.append(hint)
    if footer:
        lines.append("\n<i>" + escape(" · ".join(footer)) + "</i>")
    return "\n".join(lines), shown, pages
