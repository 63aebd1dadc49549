"""Showing the interview's steps: a question with its buttons, the answer given, the result.

:func:`advance` applies one answer or skip (committed, with the update id, before anything is
sent), shows the answer on its question's message and asks the next step; :func:`send_question`
and :func:`send_result` are also used by the commands, the buttons and the start-up resends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from html import escape as _escape
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.constants import ParseMode

from bot.interviews import Outcome, assess_record, engine_of
from bot.store import SessionRecord
from bot.telegram import keyboards as kb
from bot.telegram import results
from bot.telegram.context import BotContext
from bot.telegram.conversation import Context, refuse, send_html
from bot.telegram.delivery import quietly, sent_message_id
from bot.telegram.render import answered_text, question_text
from bot.texts import t
from interview_flows.answers import AnswerError
from interview_flows.engine import Interview
from interview_flows.schema import Flow, Question

log = logging.getLogger("bot.telegram")


async def send_question(bc: BotContext, bot: Bot, chat_id: int, record: SessionRecord, *,
                        note: str | None = None, retire_previous: bool = False) -> None:
    """Send the current question with its buttons and remember its message (and the reminder).

    ``retire_previous``: take the buttons off the message that asked before, also when it is the
    answered question of an answer whose next question never went out (a negative
    ``question_message_id``: a crash came between the Bot API calls of that answer).
    """
    engine = engine_of(record)
    q = engine.current(record.session)
    lang = record.session.lang
    if q is None:
        if not engine.checking(record.session):
            return
        # Every question answered: the final check, asked like a question (its message is the
        # one whose buttons act, and a resend after a crash sends it again).
        text = check_text(engine, record, lang)
        markup = kb.check_keyboard(record.id, lang)
    else:
        current = record.session.answers.get(q.id)
        if q.type == "multiple_choice" and not record.draft and isinstance(current, list):
            record.draft = list(current)
        text = question_text(engine, record.session, q, lang, current=current)
        markup = kb.question_keyboard(q, record.id, engine.flow.position(q.id), lang, record.draft)
    if note:
        text = f"<i>{_escape(note)}</i>\n\n{text}"
    previous = record.question_message_id
    # The new copy goes out before the old one loses its buttons: a crash in between leaves two
    # copies that work, never a question without buttons that nothing would ask again.
    message_id = await sent_message_id(send_html(bot, chat_id, text, markup))
    # Other tasks (the reminder sweep) may have written the session while we waited: only what
    # sending the question changed is written.
    if not bc.store.question_sent(record, message_id, chat_id, bc.remind_time(),
                                  draft=record.draft if q is not None and q.type == "multiple_choice" else None):
        return  # erased meanwhile
    if retire_previous and previous and abs(previous) != message_id:
        await quietly(bot.edit_message_reply_markup(chat_id, abs(previous), reply_markup=None), "retire question")


def check_text(engine: Interview, record: SessionRecord, lang: str) -> str:
    """The final check's message: every question is answered; look them over or send them."""
    count = len(engine.review(record.session))
    return f"<i>{_escape(t('check_title', lang))}</i>\n\n{_escape(t('check_intro', lang, count=count))}"


async def submit(bc: BotContext, context: Context, update: Update, record: SessionRecord,
                 query: CallbackQuery | None = None) -> None:
    """Send the answers from the final check: the interview finishes, the check's message says
    so (without its buttons), and the result follows."""
    chat_id = update.effective_chat.id
    target = record.question_message_id
    try:
        outcome = bc.interviews.act(record, "finish", command="send", update_id=update.update_id)
    except AnswerError as err:
        await refuse(update, query, err.text(record.session.lang))
        return
    lang = record.session.lang
    shown = None
    if target:
        sent = f"{check_text(engine_of(record), record, lang)}\n\n{_escape(t('tg_check_sent', lang))}"
        shown = quietly(context.bot.edit_message_text(sent, chat_id, abs(target), parse_mode=ParseMode.HTML,
                                                      reply_markup=None), "check sent")
    await reply_to_event(bc, context.bot, chat_id, outcome, query, shown)


async def reply_to_event(bc: BotContext, bot: Bot, chat_id: int, outcome: Outcome, query: CallbackQuery | None,
                         shown: Awaitable[Any] | None) -> None:
    """The replies to an applied event, sent together (the one a respondent waits for is the
    next step): the button's answer, the answered message shown as answered, then the next
    question, the final check or the result."""
    tasks: list[Awaitable[Any]] = []
    if query is not None:
        tasks.append(quietly(query.answer(), "answerCallbackQuery"))
    if shown is not None:
        tasks.append(shown)
    tasks.append(next_step(bc, bot, chat_id, outcome))
    await asyncio.gather(*tasks)


async def resume(bc: BotContext, context: Context, update: Update, record: SessionRecord) -> None:
    """Continue a paused or unfinished interview at its question."""
    chat_id = update.effective_chat.id
    if record.state == "paused":
        bc.schedule_reminder(record)
        bc.interviews.act(record, "resume", command="resume", update_id=update.update_id)
    progress = str(engine_of(record).progress(record.session))
    await send_question(bc, context.bot, chat_id, record, retire_previous=True,
                        note=t("resuming", record.session.lang, progress=progress))


async def advance(bc: BotContext, context: Context, update: Update, record: SessionRecord, event: str,
                  value: Any = None, *, command: str | None = None, query: CallbackQuery | None = None) -> None:
    """Answer or skip the current step, show the answer on its message, then ask the next step."""
    chat_id = update.effective_chat.id
    engine = engine_of(record)
    q = engine.current(record.session)
    assert q is not None
    lang = record.session.lang
    target = query.message.message_id if query and query.message else record.question_message_id
    bc.schedule_reminder(record)
    # Committed with the answer: "the current question is not sent yet" (the old message's id,
    # negated, so a resend can take its buttons off). Should the bot die before it goes out, the
    # start-up check finds the session and asks again.
    record.question_message_id = -target if target else None
    try:
        outcome = bc.interviews.act(record, event, value, command=command, update_id=update.update_id)
    except AnswerError as err:
        await refuse(update, query, err.text(lang))
        return
    lang = record.session.lang
    shown = show_answer(context.bot, chat_id, target, engine.flow, q, lang, record, event) if target else None
    await reply_to_event(bc, context.bot, chat_id, outcome, query, shown)


async def show_answer(bot: Bot, chat_id: int, message_id: int, flow: Flow, q: Question, lang: str,
                      record: SessionRecord, event: str) -> None:
    """Edit a question's message to show the answer given, without buttons."""
    if not q.answerable:
        await quietly(bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None), "retire note")
        return
    value = record.session.answers.get(q.id) if event == "answer" else None
    text = answered_text(flow, q, lang, value, skipped=event == "skip")
    await quietly(bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML, reply_markup=None),
                  "show answer")


async def next_step(bc: BotContext, bot: Bot, chat_id: int, outcome: Outcome) -> None:
    """After an event: the next question, or the result when the interview just finished."""
    record = outcome.record
    if outcome.finished:
        log.info("session %s: finished (level %s)", record.id, (record.assessment or {}).get("level"))
        await deliver_result(bc, bot, chat_id, record)
    elif record.state == "asking":
        await send_question(bc, bot, chat_id, record)


async def send_result(bc: BotContext, bot: Bot, chat_id: int, record: SessionRecord, lang: str, *,
                      thanks: bool = False, log_delivery: bool = False) -> None:
    """The short result with its buttons, then the chart as a photo. ``log_delivery``: record the
    result as delivered once its text went out (the chart is a bonus, drawn slowly; /result shows
    it again)."""
    await results.send_short_result(bot, chat_id, record, lang, thanks=thanks)
    if log_delivery:
        bc.store.log(record.id, "delivery", "result")
    # Not awaited here: while the worker's queue is long (a burst of finished interviews) this
    # update would hold one of the bot's concurrent-update slots, and every respondent would wait.
    # A chart that cannot be drawn or sent is logged and the person told /result shows it again.
    bc.background(results.send_chart(bot, chat_id, record, lang, lambda r, lng: render_chart(bc, r, lng)))


async def deliver_result(bc: BotContext, bot: Bot, chat_id: int, record: SessionRecord) -> None:
    """The thanks and the result of an interview that just finished, logged once sent."""
    await send_result(bc, bot, chat_id, record, record.session.lang, thanks=True, log_delivery=True)


async def render_chart(bc: BotContext, record: SessionRecord, lang: str) -> bytes | None:
    """The chart as PNG, drawn off the event loop and kept per session (:mod:`bot.chart_worker`);
    None on failure."""
    try:
        assessment = record.assessment or assess_record(record)
        return await bc.charts.chart(record.id, assessment, lang)
    except Exception:
        log.exception("session %s: the chart failed", record.id)
        return None
