"""Recovery: an update seen before, and what a crash left unsent.

Telegram delivers an update again when the bot did not confirm it (a crash, a restart). The
first handler, :func:`skip_seen_update`, recognises it by its id: it is not applied again, and if
its reply never went out the person is shown where they stand. At start-up,
:func:`send_unsent_questions` and :func:`send_unsent_results` send what a crash between a commit
and its reply left undelivered.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from html import escape as _escape
from typing import Any

from telegram import Bot, Update
from telegram.ext import ApplicationHandlerStop

from bot.store import SessionRecord, now
from bot.telegram import keyboards as kb
from bot.telegram.context import CHANNEL, BotContext, bot_context
from bot.telegram.conversation import Context, delivered, send_html
from bot.telegram.delivery import quietly
from bot.telegram.steps import deliver_result, send_question, send_result
from bot.texts import t

log = logging.getLogger("bot.telegram")


RESULTS_LOGGED_SINCE = "telegram_results_logged_since"
"""Meta key: when this installation started logging delivered results (older ones count as sent)."""


async def skip_seen_update(update: Update, context: Context) -> None:
    """Ignore an update already applied; if its reply never went out, show the current step."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    bc = bot_context(context)
    seen = bc.store.update_seen(update.update_id)
    if seen is None:
        return
    log.info("update %s was already applied; not applying it again", update.update_id)
    if update.callback_query is not None:
        await quietly(update.callback_query.answer(), "answerCallbackQuery")
    if not seen["replied"] and update.effective_chat is not None:
        await show_state(bc, context.bot, update.effective_chat.id, update.effective_user.id)
        bc.store.mark_update(update.update_id, replied=True)
    raise ApplicationHandlerStop


async def show_state(bc: BotContext, bot: Bot, chat_id: int, user_id: int) -> None:
    """Show where the respondent stands (after a crash swallowed the first reply)."""
    rid = bc.respondent_id(user_id)
    record = bc.open_record(rid)
    if record is not None:
        lang = record.session.lang
        if record.state == "asking" and not delivered(record):
            await send_question(bc, bot, chat_id, record, retire_previous=True)
        elif record.state == "paused":
            await send_html(bot, chat_id, _escape(t("tg_paused", lang)), kb.resume_keyboard(record.id, lang))
        return
    latest = bc.store.latest_session(rid) if rid is not None else None
    if latest is not None and latest.state == "finished" and latest.channel == CHANNEL:
        await send_result(bc, bot, chat_id, latest, latest.session.lang)


async def send_unsent_results(bc: BotContext, bot: Bot) -> int:
    """At start-up: send every result that never went out (the bot died between committing the last
    answer and sending the result), from the last day. Without it the person saw their last answer
    taken and then nothing, and /start offered a new interview. Returns how many were sent."""
    since = max(bc.store.meta(RESULTS_LOGGED_SINCE, make=now) or "",
                (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="milliseconds"))
    rows = list(bc.store.db.query(
        "select id from sessions s where channel = ? and state = 'finished' and chat_id is not null"
        " and finished_at >= ? and not exists (select 1 from events e where e.session_id = s.id"
        " and e.kind = 'delivery' and e.detail = 'result')", [CHANNEL, since],
    ))
    return await _send_again(bc, bot, rows, deliver_result, "result")


async def send_unsent_questions(bc: BotContext, bot: Bot) -> int:
    """At start-up: ask again every question whose message never went out (the bot died between
    committing an answer and sending the next question). Returns how many were sent."""
    rows = list(bc.store.db.query(
        "select id from sessions where channel = ? and state = 'asking'"
        " and (question_message_id is null or question_message_id < 0)"
        " and chat_id is not null", [CHANNEL],
    ))
    return await _send_again(bc, bot, rows, functools.partial(send_question, retire_previous=True), "question")


async def _send_again(bc: BotContext, bot: Bot, rows: list[dict[str, Any]],
                      send: Callable[[BotContext, Bot, int, SessionRecord], Awaitable[None]], what: str) -> int:
    """Send ``what`` again for each session in ``rows``; how many went out. One unreachable chat
    must not stop the start, so its failure is logged and the next one is tried."""
    sent = 0
    for row in rows:
        record = bc.store.load(row["id"])
        if record is None or record.chat_id is None:
            continue
        try:
            await send(bc, bot, record.chat_id, record)
            sent += 1
        except Exception as exc:
            log.warning("session %s: could not send the pending %s again: %s", record.id, what, exc)
    if sent:
        log.info("sent %d pending %s(s) again after a restart", sent, what)
    return sent
