"""The respondent's commands in a chat: /start, /help, /language, /back, /skip, /review, /pause,
/resume, /result, /restart, /delete, /cancel, and the reply to a command the bot does not know.

(``bot.telegram.command`` is the ``matang run`` command line, not these.)
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from telegram import Update

from bot.interviews import engine_of
from bot.recordings import review_marks
from bot.store import SessionRecord
from bot.telegram import keyboards as kb
from bot.telegram.consent import CODE, show_consent
from bot.telegram.context import BotContext, bot_context
from bot.telegram.conversation import (
    Context,
    lang_of,
    no_interview,
    replies,
    send_html,
    typed_before_question,
    while_asking,
    with_session,
)
from bot.telegram.delivery import quietly
from bot.telegram.render import review_page
from bot.telegram.steps import advance, resume, send_question, send_result
from bot.texts import t
from interview_flows.answers import AnswerError

log = logging.getLogger("bot.telegram")

MY_GROUPS: set[int] = set()
"""The handler groups of the interview (see :func:`unknown_command`); set by the wiring table."""


@with_session
async def start(update: Update, context: Context, bc: BotContext, rid: int | None,
                record: SessionRecord | None) -> None:
    """/start [CODE]: greet and ask consent, or resume the unfinished interview."""
    user, chat_id = update.effective_user, update.effective_chat.id
    code = context.args[0] if context.args else ""
    if record is None:
        if code:
            bc.remember_before_consent(user.id, code=code)
        await show_consent(bc, context, chat_id, user, code, rid)
        return
    lang = record.session.lang
    if code and code != (record.study_code or ""):
        progress = str(engine_of(record).progress(record.session))
        markup = kb.restart_keyboard(record.id, code if CODE.fullmatch(code) else "", lang, offer_continue=True)
        await send_html(context.bot, chat_id, escape(t("tg_new_study_offer", lang, progress=progress)), markup)
        return
    await resume(bc, context, update, record)


@with_session
async def help_command(update: Update, context: Context, bc: BotContext, rid: int | None,
                       record: SessionRecord | None) -> None:
    """/help: how to answer and the commands."""
    lang = lang_of(bc, context, update.effective_user, rid, record)
    text = t("tg_help", lang)
    for name in bc.extra.get("menu_extra", ()):
        about = t(f"tg_cmd_{name}", lang)
        text += f"\n/{name} — {about[:1].lower()}{about[1:]}"
    await update.effective_message.reply_text(text)


@with_session
async def language(update: Update, context: Context, bc: BotContext, rid: int | None,
                   record: SessionRecord | None) -> None:
    """/language: offer Bahasa Indonesia or English."""
    lang = lang_of(bc, context, update.effective_user, rid, record)
    await update.effective_message.reply_text(t("tg_language_choose", lang), reply_markup=kb.language_keyboard())


@while_asking
async def back(update: Update, context: Context, bc: BotContext, record: SessionRecord) -> None:
    """/back: ask the previous question again (its answer stays until changed)."""
    try:
        bc.interviews.act(record, "back", command="back", update_id=update.update_id)
    except AnswerError as err:
        await update.effective_message.reply_text(err.text(record.session.lang))
        return
    await send_question(bc, context.bot, update.effective_chat.id, record, retire_previous=True)


@while_asking
async def skip(update: Update, context: Context, bc: BotContext, record: SessionRecord) -> None:
    """/skip: skip the current question where the flow allows it."""
    if typed_before_question(update, record):
        log.info("session %s: /skip was sent before the current question; not applied", record.id)
        return
    if engine_of(record).checking(record.session):  # nothing left to skip: the check again
        await send_question(bc, context.bot, update.effective_chat.id, record, retire_previous=True)
        return
    await advance(bc, context, update, record, "skip", command="skip")


@with_session
async def review(update: Update, context: Context, bc: BotContext, rid: int | None,
                 record: SessionRecord | None) -> None:
    """/review: the answers so far, with a ✏️ button to change each."""
    if record is None:
        record = bc.finished_record(rid)
        if record is None:
            await no_interview(bc, context, update, rid)
            return
    await send_review(bc, context.bot, update.effective_chat.id, record)


async def send_review(bc: BotContext, bot: Any, chat_id: int, record: SessionRecord) -> None:
    """Send the first page of a session's review (its recordings marked), with its buttons."""
    text, markup = review_message(record, 0, review_marks(bc.store.db, record.id))
    await send_html(bot, chat_id, text, markup)


def review_message(record: SessionRecord, page: int, voices: dict[str, str] | None = None) -> tuple[str, Any]:
    """The text and buttons of one review page of a session (``voices``: its recordings, as
    :func:`bot.recordings.review_marks` gives them)."""
    engine = engine_of(record)
    lang = record.session.lang
    editable = record.state == "asking"
    checking = engine.checking(record.session)
    hint = None
    if checking:
        hint = t("tg_check_review_hint", lang)
    elif editable:
        hint = t("tg_review_hint", lang)
    elif record.state == "paused":
        hint = t("tg_review_resume_hint", lang)
    items = engine.review(record.session)
    text, shown, pages = review_page(engine, items, page, lang, hint=hint, voices=voices)
    if not editable:
        shown = []
    page = max(0, min(page, pages - 1))
    send_lang = lang if checking else None
    markup = (kb.review_keyboard(record.id, shown, page, pages, send_lang=send_lang)
              if (shown or pages > 1 or checking) else None)
    return text, markup


@while_asking
async def pause(update: Update, context: Context, bc: BotContext, record: SessionRecord) -> None:
    """/pause: stop for now; every answer is kept and no reminder is sent."""
    record.remind_at = None
    bc.interviews.act(record, "pause", command="pause", update_id=update.update_id)
    lang = record.session.lang
    chat_id = update.effective_chat.id
    if record.question_message_id:
        await quietly(context.bot.edit_message_reply_markup(chat_id, abs(record.question_message_id), reply_markup=None),
                      "retire question")
    await send_html(context.bot, chat_id, escape(t("tg_paused", lang)), kb.resume_keyboard(record.id, lang))


@with_session
async def resume_command(update: Update, context: Context, bc: BotContext, rid: int | None,
                         record: SessionRecord | None) -> None:
    """/resume: continue the interview at its question."""
    if record is None:
        await no_interview(bc, context, update, rid)
        return
    await resume(bc, context, update, record)


@with_session
async def result(update: Update, context: Context, bc: BotContext, rid: int | None,
                 record: SessionRecord | None) -> None:
    """/result: the last assessment again, text and chart."""
    finished = bc.finished_record(rid)
    lang = lang_of(bc, context, update.effective_user, rid)
    if finished is None:
        await update.effective_message.reply_text(t("tg_no_result", lang))
        return
    await send_result(bc, context.bot, update.effective_chat.id, finished, lang)


@with_session
async def restart(update: Update, context: Context, bc: BotContext, rid: int | None,
                  record: SessionRecord | None) -> None:
    """/restart: a new interview, after confirmation (the current one is kept, marked withdrawn)."""
    if record is None:
        await show_consent(bc, context, update.effective_chat.id, update.effective_user, "", rid)
        return
    lang = record.session.lang
    markup = kb.restart_keyboard(record.id, record.study_code or "", lang)
    await update.effective_message.reply_text(t("tg_restart_confirm", lang), reply_markup=markup)


@with_session
async def delete(update: Update, context: Context, bc: BotContext, rid: int | None,
                 record: SessionRecord | None) -> None:
    """/delete: erase every answer and session of this person, after confirmation."""
    lang = lang_of(bc, context, update.effective_user, rid, record)
    if rid is None:
        await update.effective_message.reply_text(t("tg_nothing_stored", lang))
        return
    await update.effective_message.reply_text(t("tg_delete_confirm", lang), reply_markup=kb.delete_keyboard(lang))


@with_session
async def cancel(update: Update, context: Context, bc: BotContext, rid: int | None,
                 record: SessionRecord | None) -> None:
    """/cancel: nothing pending is carried out; say so."""
    lang = lang_of(bc, context, update.effective_user, rid, record)
    await update.effective_message.reply_text(t("tg_cancelled", lang))


async def reply_unknown_command(update: Update, context: Context) -> None:
    """The reply to a command the bot does not know (researcher commands give it to outsiders too)."""
    bc = bot_context(context)
    user = update.effective_user
    rid = bc.respondent_id(user.id) if user is not None else None
    lang = lang_of(bc, context, user, rid)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t("tg_unknown_command", lang))


@replies
async def unknown_command(update: Update, context: Context) -> None:
    """Any other /command: say it is unknown (unless a handler in another group takes it)."""
    for group, handlers in context.application.handlers.items():
        if group in MY_GROUPS:
            continue
        if any(h.check_update(update) not in (None, False) for h in handlers):
            return
    await reply_unknown_command(update, context)
