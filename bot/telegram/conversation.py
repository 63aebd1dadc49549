"""What every Telegram handler does first and last: find the person and their open interview,
speak their language, answer them, and record the update as replied.

A handler is written against one of two decorators instead of repeating its opening:

- :func:`with_session` gives it the person's respondent id and open session (either may be None);
- :func:`while_asking` runs it only while an interview waits for an answer, and otherwise tells
  the person why not (a paused interview gets a button to resume; none, /start or /result).

Both mark the update as replied once the handler has answered (:func:`replies`), so a
redelivered update is not answered twice (see :mod:`bot.telegram.recovery`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from telegram import Bot, CallbackQuery, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.store import SessionRecord
from bot.telegram import keyboards as kb
from bot.telegram.context import BotContext, bot_context
from bot.telegram.delivery import quietly
from bot.texts import t
from interview_flows.texts import normalise_lang

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Awaitable[None]]
SessionHandler = Callable[[Update, Context, BotContext, "int | None", "SessionRecord | None"], Awaitable[None]]
AskingHandler = Callable[[Update, Context, BotContext, SessionRecord], Awaitable[None]]
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replies(func: Handler) -> Handler:
    """Mark the update as handled and replied once the handler has answered."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> None:
        await func(update, context)
        bot_context(context).store.mark_update(update.update_id, replied=True)

    return wrapper


def with_session(func: SessionHandler) -> Handler:
    """A handler called with the person's respondent id and open session (None when there is none
    or the person never consented); the update is marked replied once it answered."""

    @replies
    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> None:
        bc = bot_context(context)
        rid, record = session_for(bc, update)
        await func(update, context, bc, rid, record)

    return wrapper


def while_asking(func: AskingHandler) -> Handler:
    """A handler that runs only while the person's interview waits for an answer; otherwise the
    person is told why nothing was applied. Marked replied once it answered."""

    @with_session
    @functools.wraps(func)
    async def wrapper(update: Update, context: Context, bc: BotContext, rid: int | None,
                      record: SessionRecord | None) -> None:
        if record is not None and record.state == "asking":
            await func(update, context, bc, record)
        elif record is not None and record.state == "paused":
            await paused_offer(context.bot, update.effective_chat.id, record)
        else:
            await no_interview(bc, context, update, rid)

    return wrapper


def session_for(bc: BotContext, update: Update) -> tuple[int | None, SessionRecord | None]:
    """The sender's respondent id and open session (each None when there is none)."""
    rid = bc.respondent_id(update.effective_user.id)
    return rid, bc.open_record(rid)


def lang_of(bc: BotContext, context: Context, user: User | None, respondent_id: int | None = None,
            record: SessionRecord | None = None) -> str:
    """The language to speak with this user: the session's, the stored or chosen one, Telegram's."""
    if record is not None:
        return record.session.lang
    stored = bc.stored_lang(respondent_id)
    if stored:
        return stored
    chosen = bc.before_consent(user.id, "lang") if user is not None else None
    if chosen:
        return chosen
    code = getattr(user, "language_code", None)
    return normalise_lang(code) if code else bc.settings.lang


def sendable(text: str) -> str:
    """Text that quotes what a person typed, made safe to send back.

    JSON lets an update carry a lone UTF-16 surrogate (``"\\ud800"``), which UTF-8 cannot encode:
    quoting it in a reply made the request itself fail, so the person got a generic apology
    instead of the explanation (found by ``tests/test_hardening_input.py``). It becomes U+FFFD.
    """
    return LONE_SURROGATE.sub("\ufffd", text)


async def send_html(bot: Bot, chat_id: int, text: str, markup: Any = None) -> Any:
    """Send an HTML message."""
    return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def stale(query: CallbackQuery, lang: str) -> None:
    """Answer a button that no longer applies; nothing changes."""
    await quietly(query.answer(t("tg_already_answered", lang)), "answerCallbackQuery")


async def refuse(update: Update, query: CallbackQuery | None, text: str) -> None:
    """Explain why an answer or command cannot be taken (an alert for a button)."""
    text = sendable(text)
    if query is not None:
        # Telegram shows at most 200 characters in a callback answer.
        short = text if len(text) <= 200 else text[:199] + "…"
        await quietly(query.answer(short, show_alert=True), "answerCallbackQuery")
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def paused_offer(bot: Bot, chat_id: int, record: SessionRecord) -> None:
    """Tell a paused respondent so, with a button to resume."""
    lang = record.session.lang
    await send_html(bot, chat_id, escape(t("tg_paused_offer", lang)), kb.resume_keyboard(record.id, lang))


async def no_interview(bc: BotContext, context: Context, update: Update, rid: int | None) -> None:
    """There is no open interview: point to /start, or to /result after a finished one."""
    lang = lang_of(bc, context, update.effective_user, rid)
    latest = bc.store.latest_session(rid) if rid is not None else None
    done = latest is not None and latest.state == "finished"
    text = t("tg_finished_already", lang) if done else t("tg_no_interview", lang)
    await update.effective_message.reply_text(text)


def delivered(record: SessionRecord) -> bool:
    """Whether the question at the cursor went out (its message id is saved once it is sent)."""
    return record.question_message_id is not None and record.question_message_id > 0


def typed_before_question(update: Update, record: SessionRecord) -> bool:
    """Whether a typed message was sent before the current question was asked (message ids grow
    within a chat). It answers an earlier question: sent again because no reply came yet, or
    before a crash. Taken as the answer to the question asked since, a "3" for a team size became
    the third platform (found by tests/test_crash_concurrent.py)."""
    message = update.message
    asked_in = record.question_message_id
    return message is not None and asked_in is not None and message.message_id < asked_in
