"""The error handler: a handler that failed is logged with its update id, and the person is
asked to go on (or, when the storage refused the write, to send that answer again later)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType

from bot.faults import storage_fault, storage_fault_line
from bot.telegram.context import bot_context
from bot.telegram.conversation import Context, lang_of
from bot.telegram.delivery import quietly
from bot.texts import t
from interview_flows.texts import normalise_lang

log = logging.getLogger("bot.telegram")


async def on_error(update: object, context: Context) -> None:
    """Log a handler's failure with the update id; apologise so the respondent can go on.

    When the storage refused the write (a full disk…), nothing of the update was kept: the log
    gets one line saying what to fix, and the person is asked to send that answer again later.
    """
    update_id = getattr(update, "update_id", None)
    fault = storage_fault(context.error)
    if fault is not None:
        log.error("update %s not saved: %s", update_id, storage_fault_line(context.error))
    else:
        log.error("update %s failed: %s: %s", update_id, type(context.error).__name__, context.error,
                  exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        bc = bot_context(context)
        lang = lang_of(bc, context, update.effective_user, bc.respondent_id(update.effective_user.id))
    except Exception:
        lang = normalise_lang(getattr(update.effective_user, "language_code", None))
    if update.callback_query is not None:
        await quietly(update.callback_query.answer(), "answerCallbackQuery")
    apology = t("tg_storage_fault" if fault is not None else "tg_error", lang)
    await quietly(context.bot.send_message(update.effective_chat.id, apology), "apology")
