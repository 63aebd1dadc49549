"""Messages that are not commands: a typed answer, anything else sent (a sticker, a photo…), and
an edited message. (A voice note has its own room: :mod:`bot.telegram.voice`.)"""

from __future__ import annotations

import logging

from telegram import Update

from bot.interviews import engine_of
from bot.store import SessionRecord
from bot.telegram import split_text
from bot.telegram.chat_commands import send_review
from bot.telegram.context import BotContext
from bot.telegram.conversation import (
    Context,
    lang_of,
    paused_offer,
    sendable,
    typed_before_question,
    while_asking,
    with_session,
)
from bot.telegram.render import expected_input
from bot.telegram.steps import advance, send_question, submit
from bot.texts import CHECK_WORDS, t
from interview_flows.answers import AnswerError, parse_text_answer

log = logging.getLogger("bot.telegram")


@while_asking
async def text_message(update: Update, context: Context, bc: BotContext, record: SessionRecord) -> None:
    """Typed text: the answer to the current question (a number, a text, or a choice by number)."""
    if typed_before_question(update, record):  # the person sees the question asked since: silence
        log.info("session %s: a text sent before the current question is not its answer", record.id)
        return
    q = engine_of(record).current(record.session)
    if q is None:  # the final check: "kirim" sends, "periksa" lists the answers, else the check again
        await at_check(update, context, bc, record)
        return
    # A text over 4,096 characters that Telegram cut into messages: no piece is an answer. (Only
    # free text could take a piece as one; a choice or a number refuses it in its own words.)
    piece = split_text.split_piece(bc.store, record, update.effective_message) if q.type == "text" else None
    if piece is not None:
        if piece == "first":
            reply = await update.effective_message.reply_text(
                t("tg_split_text", record.session.lang, limit=q.max_length))
            split_text.replied(bc.store, record, update.effective_message, reply)
        return
    if not q.answerable:
        await advance(bc, context, update, record, "skip")
        return
    try:
        value = parse_text_answer(q, update.effective_message.text or "", record.session.lang)
    except AnswerError as err:
        # The explanation may quote the text: sendable() keeps it sendable.
        await update.effective_message.reply_text(sendable(err.text(record.session.lang)))
        return
    await advance(bc, context, update, record, "answer", value)


async def at_check(update: Update, context: Context, bc: BotContext, record: SessionRecord) -> None:
    """A text typed at the final check: the words for sending or reviewing do that (as the
    buttons would); anything else shows the check again, with its buttons."""
    chat_id = update.effective_chat.id
    wanted = CHECK_WORDS.get((update.effective_message.text or "").strip().casefold())
    if wanted == "send":
        await submit(bc, context, update, record)
    elif wanted == "review":
        await send_review(bc, context.bot, chat_id, record)
    else:
        await send_question(bc, context.bot, chat_id, record, retire_previous=True)


@with_session
async def other_message(update: Update, context: Context, bc: BotContext, rid: int | None,
                        record: SessionRecord | None) -> None:
    """Stickers, photos, voice, files, locations…: a polite hint of what is expected."""
    await hint_expected(update, context, bc, rid, record)


async def hint_expected(update: Update, context: Context, bc: BotContext, rid: int | None,
                        record: SessionRecord | None) -> None:
    """Say that this kind of message is not an answer, and what the open question expects (a
    paused interview: the offer to resume)."""
    if record is not None and record.state == "paused":
        await paused_offer(context.bot, update.effective_chat.id, record)
        return
    if record is not None and engine_of(record).checking(record.session):
        await send_question(bc, context.bot, update.effective_chat.id, record, retire_previous=True)
        return
    lang = lang_of(bc, context, update.effective_user, rid, record)
    q = engine_of(record).current(record.session) if record is not None else None
    await update.effective_message.reply_text(t("tg_not_text", lang) + " " + expected_input(q, lang))


@with_session
async def edited_message(update: Update, context: Context, bc: BotContext, rid: int | None,
                         record: SessionRecord | None) -> None:
    """An edited message is not an answer; say how to change one."""
    lang = lang_of(bc, context, update.effective_user, rid, record)
    await context.bot.send_message(update.effective_chat.id, t("tg_edited_message", lang))
