"""Inline keyboards and their callback data.

Every button that acts on an interview carries the session id and the question's position in the
flow (``a:<session>:<position>:<choice>``), so a button from an older question or from another
person's chat is recognised and changes nothing. A multiple choice's Done button also carries the
options ticked on its message (``m:<session>:<position>:<bit mask>``): Done answers what the person
sees. Callback data stays within Telegram's 64 bytes.

>>> encode("a", 12, 7, 3)
'a:12:7:3'
>>> parse("a:12:7:3")
Callback(kind='a', session_id=12, position=7, arg='3')
>>> parse("x" * 70) is None
True
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import t
from interview_flows.schema import Question

MAX_CALLBACK_BYTES = 64
LABEL_CHARS = 32
"""Longer choice labels are listed in the message and shortened on their buttons."""

ANSWER, TOGGLE, DONE, SKIP, NOTE = "a", "t", "m", "s", "n"
EDIT, PAGE, RESUME, RESULT, CHECK = "e", "v", "r", "h", "k"
CONSENT, CONFIRM, LANGUAGE = "c", "x", "l"
SESSION_KINDS = (ANSWER, TOGGLE, DONE, SKIP, NOTE, EDIT, PAGE, RESUME, RESULT, CHECK)
CHECK_REVIEW, CHECK_SEND = "v", "s"
"""At the final check: look over the answers, or send them."""
RESULT_PARTS = ("f", "s", "p")
"""Under a short result: the full explanation, all suggestions, the PDF report."""
DONT_KNOW_ARG = "d"


class Callback(NamedTuple):
    """Parsed callback data. ``session_id``/``position`` are None for kinds without them."""

    kind: str
    session_id: int | None
    position: int | None
    arg: str


def encode(kind: str, *parts: object) -> str:
    """Join a kind and its parts into callback data; ValueError beyond 64 bytes."""
    data = ":".join([kind, *(str(p) for p in parts)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes: {data[:20]}…")
    return data


def parse(data: str | None) -> Callback | None:
    """Read callback data made by :func:`encode`; None for anything else (forged, foreign, old)."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    kind, _, rest = data.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if kind in (ANSWER, TOGGLE):
            sid, pos, arg = parts
            return Callback(kind, int(sid), int(pos), arg)
        if kind == DONE and len(parts) == 3:  # the ticks shown (without them: an older button)
            sid, pos, ticks = parts
            return Callback(kind, int(sid), int(pos), ticks)
        if kind in (DONE, SKIP, NOTE, EDIT):
            sid, pos = parts
            return Callback(kind, int(sid), int(pos), "")
        if kind == PAGE:
            sid, page = parts
            return Callback(kind, int(sid), None, str(int(page)))
        if kind == RESUME:
            (sid,) = parts
            return Callback(kind, int(sid), None, "")
        if kind == CHECK:
            sid, what = parts
            return Callback(kind, int(sid), None, what) if what in (CHECK_REVIEW, CHECK_SEND) else None
        if kind == RESULT:
            sid, part = parts
            return Callback(kind, int(sid), None, part) if part in RESULT_PARTS else None
        if kind == CONSENT:
            answer, last, code = parts
            return Callback(kind, None, None, f"{answer}:{int(last)}:{code}") if answer in ("y", "n") else None
        if kind == CONFIRM:
            return Callback(kind, None, None, rest) if parts and parts[0] in ("r", "d", "c") else None
        if kind == LANGUAGE:
            (lang,) = parts
            return Callback(kind, None, None, lang) if lang in ("id", "en") else None
    except ValueError:
        return None
    return None


def ticked_choices(q: Question, mask: str) -> list[str] | None:
    """The values a Done button's bit mask names (None when it does not fit the question).

    >>> from interview_flows.schema import Question
    >>> q = Question.model_validate({"id": "p", "section": "s", "type": "multiple_choice",
    ...     "text": {"id": "Platform?", "en": "Platforms?"},
    ...     "choices": [{"value": v, "label": {"id": v, "en": v}} for v in ("fb", "ig", "yt")]})
    >>> ticked_choices(q, "5"), ticked_choices(q, "8"), ticked_choices(q, "²")
    (['fb', 'yt'], None, None)
    """
    # isdecimal, not isdigit: "²" is a digit that int() refuses (callback data is at most 64 bytes).
    if not mask.isdecimal() or int(mask) >= 1 << len(q.choices):
        return None
    return [c.value for i, c in enumerate(q.choices) if int(mask) >> i & 1]


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard whose buttons are all made by :func:`button` (a text and callback data).

    python-telegram-bot serialises a keyboard for every message or edit that carries one by
    walking each object's attributes: 60 µs for a question's eight buttons, on every answer.
    Knowing the buttons' two fields, this writes the same dict (keys in the same order) in 2 µs.
    """

    __slots__ = ()

    def to_dict(self, recursive: bool = True) -> dict:  # type: ignore[override]
        """The keyboard as the Bot API takes it; the same dict the library would build."""
        return {"inline_keyboard": [[{"callback_data": b.callback_data, "text": b.text} for b in row]
                                    for row in self.inline_keyboard]}


@lru_cache(maxsize=4096)
def button(text: str, data: str) -> InlineKeyboardButton:
    """One inline button.

    A button is an immutable value, so one made before is handed out again: a multiple choice
    draws all its buttons anew on every tick, and building one costs some 5 µs.
    """
    return InlineKeyboardButton(text, callback_data=data)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """A label cut at a word boundary to fit a phone-width button.

    >>> shorten("Pimpinan unit, misalnya kepala bidang atau kepala bagian", 24)
    'Pimpinan unit, misalnya…'
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:  # the cut splits a word: drop that word
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"


def numbered(q: Question, lang: str) -> bool:
    """Whether the choices are too long for buttons and are listed, numbered, in the message."""
    return any(len(c.label.get(lang)) > LABEL_CHARS for c in q.choices)


def question_keyboard(q: Question, session_id: int, position: int, lang: str,
                      ticked: list[str] | None = None) -> Keyboard | None:
    """The buttons of a question (None when it is answered by typing and offers no button)."""
    rows: list[list[InlineKeyboardButton]] = []
    listed = numbered(q, lang)

    def label(n: int, text: str) -> str:
        return f"{n}. {shorten(text)}" if listed else text

    if q.type == "note":
        rows.append([button(t("continue", lang), encode(NOTE, session_id, position))])
        return Keyboard(rows)
    if q.type in ("single_choice", "yes_no"):
        buttons = [button(label(i + 1, c.label.get(lang)), encode(ANSWER, session_id, position, i))
                   for i, c in enumerate(q.choices)]
        rows.extend([buttons] if q.type == "yes_no" and not listed else [[b] for b in buttons])
    elif q.type == "multiple_choice":
        chosen = set(ticked or [])
        for i, c in enumerate(q.choices):
            mark = "✓ " if c.value in chosen else ""
            rows.append([button(mark + label(i + 1, c.label.get(lang)), encode(TOGGLE, session_id, position, i))])
        shown = sum(1 << i for i, c in enumerate(q.choices) if c.value in chosen)
        rows.append([button(t("tg_done", lang), encode(DONE, session_id, position, shown))])
    elif q.type == "scale":
        points = [button(str(p), encode(ANSWER, session_id, position, i)) for i, p in enumerate(q.scale_points())]
        width = len(points) if len(points) <= 7 else 5
        rows.extend(points[i: i + width] for i in range(0, len(points), width))
    if q.dont_know and q.type != "multiple_choice":
        rows.append([button(t("dont_know", lang), encode(ANSWER, session_id, position, DONT_KNOW_ARG))])
    elif q.dont_know:
        rows.insert(-1, [button(t("dont_know", lang), encode(ANSWER, session_id, position, DONT_KNOW_ARG))])
    if not q.required:
        rows.append([button(t("tg_skip_button", lang), encode(SKIP, session_id, position))])
    return Keyboard(rows) if rows else None


def consent_keyboard(lang: str, code: str = "", last_session: int = 0) -> Keyboard:
    """Agree / decline, carrying the study code (empty for a self-assessment) and the id of the
    person's newest session when asked, so a second tap (or an old prompt) is recognised."""
    return Keyboard([
        [button(t("consent_yes", lang), encode(CONSENT, "y", last_session, code))],
        [button(t("consent_no", lang), encode(CONSENT, "n", last_session, code))],
    ])


def resume_keyboard(session_id: int, lang: str) -> Keyboard:
    """A single "resume the interview" button."""
    return Keyboard([[button(t("tg_resume_button", lang), encode(RESUME, session_id))]])


def restart_keyboard(session_id: int, code: str, lang: str, *, offer_continue: bool = False) -> Keyboard:
    """Confirm a new interview (withdrawing session ``session_id``), or keep going."""
    rows = []
    if offer_continue:
        rows.append([button(t("tg_resume_button", lang), encode(RESUME, session_id))])
        rows.append([button(t("tg_start_new_button", lang), encode(CONFIRM, "r", session_id, code))])
    else:
        rows.append([button(t("tg_restart_yes", lang), encode(CONFIRM, "r", session_id, code))])
        rows.append([button(t("tg_cancel_button", lang), encode(CONFIRM, "c"))])
    return Keyboard(rows)


def delete_keyboard(lang: str) -> Keyboard:
    """Confirm erasing everything, or cancel."""
    return Keyboard([
        [button(t("tg_delete_yes", lang), encode(CONFIRM, "d"))],
        [button(t("tg_cancel_button", lang), encode(CONFIRM, "c"))],
    ])


def language_keyboard() -> Keyboard:
    """The two languages, each named in itself."""
    return Keyboard([[button("Bahasa Indonesia", encode(LANGUAGE, "id")),
                                  button("English", encode(LANGUAGE, "en"))]])


def check_keyboard(session_id: int, lang: str) -> Keyboard:
    """The final check's two buttons: look over the answers, or send them."""
    return Keyboard([
        [button(t("tg_check_review_button", lang), encode(CHECK, session_id, CHECK_REVIEW))],
        [button(t("tg_check_send_button", lang), encode(CHECK, session_id, CHECK_SEND))],
    ])


def review_keyboard(session_id: int, items: list[tuple[int, int]], page: int, pages: int, *,
                    send_lang: str | None = None) -> Keyboard:
    """✏️ buttons for ``(number, position)`` items, four to a row, then page navigation;
    ``send_lang``: at the final check, a button to send the answers (in that language) below."""
    rows: list[list[InlineKeyboardButton]] = []
    edit_buttons = [button(f"✏️ {n}", encode(EDIT, session_id, pos)) for n, pos in items]
    rows.extend(edit_buttons[i: i + 4] for i in range(0, len(edit_buttons), 4))
    nav = []
    if page > 0:
        nav.append(button("◀", encode(PAGE, session_id, page - 1)))
    if page < pages - 1:
        nav.append(button("▶", encode(PAGE, session_id, page + 1)))
    if nav:
        rows.append(nav)
    if send_lang is not None:
        rows.append([button(t("tg_check_send_button", send_lang), encode(CHECK, session_id, CHECK_SEND))])
    return Keyboard(rows)


def result_keyboard(session_id: int, lang: str) -> Keyboard:
    """The buttons under a short result: the full explanation, every suggestion, the PDF."""
    return Keyboard([
        [button(t("tg_result_full", lang), encode(RESULT, session_id, "f"))],
        [button(t("tg_result_tips", lang), encode(RESULT, session_id, "s")),
         button(t("tg_result_pdf", lang), encode(RESULT, session_id, "p"))],
    ])
