"""Every inline button: the answer buttons of a question (choices, ticks, done, skip), the review's
edit and page buttons, resume and result buttons, and the hand-over to consent and confirmations.

A button carries its session and question position (:mod:`bot.telegram.keyboards`): one from an
older question, or from someone else's session, answers "already answered" and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode

from bot.interviews import engine_of
from bot.recordings import review_marks
from bot.store import SessionRecord
from bot.telegram import keyboards as kb
from bot.telegram import results
from bot.telegram.chat_commands import review_message, send_review
from bot.telegram.consent import choose_language, confirm, consent
from bot.telegram.context import CHANNEL, BotContext, bot_context
from bot.telegram.conversation import Context, lang_of, paused_offer, refuse, replies, stale
from bot.telegram.delivery import quietly
from bot.telegram.steps import advance, resume, send_question, submit
from bot.texts import t
from interview_flows.answers import AnswerError
from interview_flows.schema import DONT_KNOW, Question


@replies
async def button(update: Update, context: Context) -> None:
    """Every inline button: consent, answers, toggles, review, confirmations, language."""
    bc = bot_context(context)
    query = update.callback_query
    user = update.effective_user
    cb = kb.parse(query.data)
    rid = bc.respondent_id(user.id)
    if cb is None:
        await stale(query, lang_of(bc, context, user, rid))
        return
    if cb.kind == kb.CONSENT:
        await consent(bc, context, update, query, cb, rid)
    elif cb.kind == kb.LANGUAGE:
        await choose_language(bc, context, update, query, cb.arg, rid)
    elif cb.kind == kb.CONFIRM:
        await confirm(bc, context, update, query, cb.arg, rid)
    else:
        record = bc.store.load(cb.session_id) if rid is not None and cb.session_id is not None else None
        if record is None or record.respondent_id != rid or record.channel != CHANNEL:
            await stale(query, lang_of(bc, context, user, rid))
            return
        await session_button(bc, context, update, query, cb, record)


async def session_button(bc: BotContext, context: Context, update: Update, query: CallbackQuery,
                         cb: kb.Callback, record: SessionRecord) -> None:
    """A button that belongs to one of this person's sessions."""
    lang = record.session.lang
    chat_id = update.effective_chat.id
    if cb.kind == kb.RESUME:
        if record.state not in ("asking", "paused"):
            await stale(query, lang)
            return
        await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                             quietly(query.edit_message_reply_markup(reply_markup=None), "resume"))
        await resume(bc, context, update, record)
        return
    if cb.kind == kb.RESULT:
        if record.state != "finished":
            await stale(query, lang)
            return
        await results.result_part(context.bot, query, chat_id, record, cb.arg, bc.store)
        return
    if cb.kind == kb.PAGE:
        text, markup = review_message(record, int(cb.arg), review_marks(bc.store.db, record.id))
        await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                             quietly(query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup),
                                     "review page"))
        return
    if cb.kind in (kb.CHECK, kb.EDIT) and record.state == "finished":
        await already_sent(query, lang)
        return
    if cb.kind == kb.CHECK:
        await check_button(bc, context, update, query, record, cb.arg)
        return
    engine = engine_of(record)
    flow = engine.flow
    if cb.kind == kb.EDIT:
        if record.state != "asking" or not 0 <= (cb.position or 0) < len(flow.questions):
            await stale(query, lang)
            return
        question_id = flow.questions[cb.position or 0].id
        try:
            bc.interviews.act(record, "edit", question_id, command=f"edit {question_id}", update_id=update.update_id)
        except AnswerError as err:
            await refuse(update, query, err.text(lang))
            return
        await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                             quietly(query.edit_message_reply_markup(reply_markup=None), "review"))
        await send_question(bc, context.bot, chat_id, record, retire_previous=True)
        return
    if record.state == "paused":
        await quietly(query.answer(t("tg_paused_offer", lang)), "answerCallbackQuery")
        await paused_offer(context.bot, chat_id, record)
        return
    q = engine.current(record.session)
    if record.state != "asking" or q is None or flow.position(q.id) != cb.position or before_probe(query, record):
        await stale(query, lang)
        return
    if cb.kind == kb.NOTE:
        await advance(bc, context, update, record, "skip", query=query)
    elif cb.kind == kb.SKIP:
        await advance(bc, context, update, record, "skip", command="skip", query=query)
    elif cb.kind == kb.ANSWER:
        value = choice_value(q, cb.arg)
        if value is None:
            await stale(query, lang)
            return
        await advance(bc, context, update, record, "answer", value, query=query)
    elif cb.kind == kb.DONE:
        if q.type != "multiple_choice":
            await stale(query, lang)
            return
        # The ticks shown on the message pressed, not the draft: after a crash they can differ (a
        # repeated tap toggled an option back and the edit that would have shown it was lost), and
        # the person answers what they see. Done buttons sent before the ticks were carried: the draft.
        value = kb.ticked_choices(q, cb.arg) if cb.arg else list(record.draft)
        if value is None:
            await stale(query, lang)
            return
        await advance(bc, context, update, record, "answer", value, query=query)
    elif cb.kind == kb.TOGGLE:
        await toggle(bc, update, query, record, q, cb.arg)


def before_probe(query: CallbackQuery, record: SessionRecord) -> bool:
    """Whether a button was pressed on the message of the first question while its probe is asked.

    The probe keeps the question's id and position, so the old message's buttons (its "Lewati",
    left there when the edit that retires them was lost) would act on the probe; they belong to
    the answer already given. The probe's own message is the one sent last.
    """
    asked_in = record.question_message_id
    pressed = query.message.message_id if query.message else None
    return (engine_of(record).probing(record.session) and pressed is not None and asked_in is not None
            and asked_in > 0 and pressed < asked_in)


async def already_sent(query: CallbackQuery, lang: str) -> None:
    """A ✏️ or send button of a review or check message from before the answers were sent: say
    why nothing changes, and take the buttons off that message (they can do nothing now)."""
    await asyncio.gather(quietly(query.answer(t("tg_already_sent", lang), show_alert=True), "answerCallbackQuery"),
                         quietly(query.edit_message_reply_markup(reply_markup=None), "retire sent review"))


async def check_button(bc: BotContext, context: Context, update: Update, query: CallbackQuery,
                       record: SessionRecord, arg: str) -> None:
    """At the final check: the answers listed for a look (with ✏️ and a send button), or sent."""
    lang = record.session.lang
    if record.state == "paused":
        await quietly(query.answer(t("tg_paused_offer", lang)), "answerCallbackQuery")
        await paused_offer(context.bot, update.effective_chat.id, record)
        return
    if not engine_of(record).checking(record.session):  # sent already, or a question asked since
        await stale(query, lang)
        return
    if arg == kb.CHECK_SEND:
        await submit(bc, context, update, record, query)
        return
    await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                         send_review(bc, context.bot, update.effective_chat.id, record))


def choice_value(q: Question, arg: str) -> Any:
    """The answer a button stands for (by index), or None when it does not fit the question."""
    if arg == kb.DONT_KNOW_ARG:
        return DONT_KNOW if q.dont_know else None
    # isdecimal, not isdigit: "²" is a digit that int() refuses, and forged data must not crash us.
    if not arg.isdecimal():
        return None
    i = int(arg)
    if q.type in ("single_choice", "yes_no", "multiple_choice") and i < len(q.choices):
        return q.choices[i].value if q.type != "multiple_choice" else [q.choices[i].value]
    points = q.scale_points()
    if q.type == "scale" and i < len(points):
        return points[i]
    return None


async def toggle(bc: BotContext, update: Update, query: CallbackQuery, record: SessionRecord, q: Question,
                 arg: str) -> None:
    """Tick or untick one option of a multiple choice (kept in the session's draft)."""
    lang = record.session.lang
    if q.type != "multiple_choice" or not arg.isdecimal() or int(arg) >= len(q.choices):  # see choice_value
        await stale(query, lang)
        return
    choice = q.choices[int(arg)]
    draft = list(record.draft)
    if choice.value in draft:
        draft.remove(choice.value)
    elif choice.exclusive:
        draft = [choice.value]
    else:
        exclusive = {c.value for c in q.choices if c.exclusive}
        draft = [v for v in draft if v not in exclusive] + [choice.value]
        if q.max_choices is not None and len(draft) > q.max_choices:
            # Refused on the tick itself, with the limit, so nobody ticks five and learns at "done".
            await quietly(query.answer(t("choice_limit_reached", lang, max=q.max_choices), show_alert=True),
                          "answerCallbackQuery")
            return
    order = {c.value: i for i, c in enumerate(q.choices)}
    record.draft = sorted(draft, key=order.__getitem__)
    bc.schedule_reminder(record)
    bc.store.save(record, update_id=update.update_id)
    position = engine_of(record).flow.position(q.id)
    markup = kb.question_keyboard(q, record.id, position, lang, record.draft)
    await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                         quietly(query.edit_message_reply_markup(reply_markup=markup), "toggle"))
