"""The interview in a Telegram chat: one small handler per command, button and kind of message.

Every handler loads the respondent's session from SQLite, applies at most one event through
:class:`bot.interviews.Interviews` (committed, with the update id, before anything is sent), then
replies. A redelivered update is recognised by its id and not applied again; a button from an
older question, or from someone else's session, answers "already answered" and changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from html import escape as _escape
from typing import Any

from telegram import Bot, CallbackQuery, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.faults import storage_fault, storage_fault_line
from bot.interviews import Outcome, assess_record, engine_of
from bot.recordings import review_marks
from bot.store import SessionRecord, now
from bot.telegram import keyboards as kb
from bot.telegram import results, split_text
from bot.telegram.context import CHANNEL, BotContext, bot_context
from bot.telegram.delivery import quietly
from bot.telegram.render import answered_text, consent_text, expected_input, question_text, review_page
from bot.texts import t
from interview_flows.answers import AnswerError, parse_text_answer
from interview_flows.loader import load_flow
from interview_flows.schema import DONT_KNOW, Flow, Question
from interview_flows.texts import normalise_lang

log = logging.getLogger("bot.telegram")
Context = ContextTypes.DEFAULT_TYPE
CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
RESULTS_LOGGED_SINCE = "telegram_results_logged_since"
"""Meta key: when this installation started logging delivered results (older ones count as sent)."""
SCRUB_WAIT_SECONDS = 3.0
"""How long /delete waits for an export to let go of erased pages before saying they follow."""


# -- plumbing -------------------------------------------------------------------------------------


def replies(func: Callable[[Update, Context], Awaitable[None]]) -> Callable[[Update, Context], Awaitable[None]]:
    """Mark the update as handled and replied once the handler has answered."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> None:
        await func(update, context)
        bot_context(context).store.mark_update(update.update_id, replied=True)

    return wrapper


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


def find_study(bc: BotContext, code: str, respondent_id: int | None = None) -> Any:
    """The open study with this invite code, or None (unknown, closed, or studies not installed)."""
    if not code or not CODE.fullmatch(code):
        return None
    try:
        from bot.research.studies import StudyError, open_study
    except ImportError:
        return None
    try:
        # With a respondent (after consent, never before) the visit counts as an invitation.
        return open_study(bc.store, code, respondent_id=respondent_id)
    except StudyError:
        return None


def study_label(study: Any) -> str | None:
    """How a study is named to respondents: its name, and its organisation when it has one."""
    if study is None:
        return None
    organisation = getattr(study, "organisation", None)
    return study.name + (f" — {organisation}" if organisation else "")


def study_flow(bc: BotContext, study: Any) -> Flow:
    """The flow (at its version) a study fixed; the self-assessment flow if it cannot be loaded."""
    if study is None:
        return bc.flow
    try:
        return load_flow(study.flow_id, study.flow_version)
    except KeyError:
        log.warning("study %s: flow %s@%s not found; using %s", study.code, study.flow_id,
                    study.flow_version, bc.flow.id)
        return bc.flow


def latest_session_id(bc: BotContext, respondent_id: int | None) -> int:
    """The id of the respondent's newest session (0 when none): consent buttons carry it."""
    if respondent_id is None:
        return 0
    return max(bc.store.sessions_of(respondent_id), default=0)


# -- showing steps --------------------------------------------------------------------------------


async def send_question(bc: BotContext, bot: Bot, chat_id: int, record: SessionRecord, *,
                        note: str | None = None, retire_previous: bool = False) -> None:
    """Send the current question with its buttons and remember its message (and the reminder).

    ``retire_previous``: take the buttons off the message that asked before, also when it is the
    answered question of an answer whose next question never went out (a negative
    ``question_message_id``: a crash came between the Bot API calls of that answer).
    """
    engine = engine_of(record)
    q = engine.current(record.session)
    if q is None:
        return
    lang = record.session.lang
    current = record.session.answers.get(q.id)
    if q.type == "multiple_choice" and not record.draft and isinstance(current, list):
        record.draft = list(current)
    text = question_text(engine, record.session, q, lang, current=current)
    if note:
        text = f"<i>{_escape(note)}</i>\n\n{text}"
    markup = kb.question_keyboard(q, record.id, engine.flow.position(q.id), lang, record.draft)
    previous = record.question_message_id
    # The new copy goes out before the old one loses its buttons: a crash in between leaves two
    # copies that work, never a question without buttons that nothing would ask again.
    message = await send_html(bot, chat_id, text, markup)
    # Other tasks (the reminder sweep) may have written the session while we waited: only what
    # sending the question changed is written.
    if not bc.store.question_sent(record, message.message_id, chat_id, bc.remind_time(),
                                  draft=record.draft if q.type == "multiple_choice" else None):
        return  # erased meanwhile
    if retire_previous and previous and abs(previous) != message.message_id:
        await quietly(bot.edit_message_reply_markup(chat_id, abs(previous), reply_markup=None), "retire question")


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


async def render_chart(bc: BotContext, record: SessionRecord, lang: str) -> bytes | None:
    """The chart as PNG, drawn off the event loop and kept per session (:mod:`bot.chart_worker`);
    None on failure."""
    try:
        assessment = record.assessment or assess_record(record)
        return await bc.charts.chart(record.id, assessment, lang)
    except Exception:
        log.exception("session %s: the chart failed", record.id)
        return None


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


async def deliver_result(bc: BotContext, bot: Bot, chat_id: int, record: SessionRecord) -> None:
    """The thanks and the result of an interview that just finished, logged once sent."""
    await send_result(bc, bot, chat_id, record, record.session.lang, thanks=True, log_delivery=True)


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


async def show_consent(bc: BotContext, context: Context, chat_id: int, user: User, code: str = "",
                       respondent_id: int | None = None) -> None:
    """The greeting and consent, with agree/decline buttons; nothing is recorded yet."""
    lang = lang_of(bc, context, user, respondent_id)
    notice = None
    study = find_study(bc, code) if code else None
    if code and study is None:
        notice = sendable(t("tg_study_unknown", lang, code=code[:64]))
        code = ""
    flow = study_flow(bc, study)
    text = consent_text(flow, lang, study_name=study_label(study), notice=notice)
    last = latest_session_id(bc, respondent_id)
    await send_html(context.bot, chat_id, text, kb.consent_keyboard(lang, code, last))


async def paused_offer(bot: Bot, chat_id: int, record: SessionRecord) -> None:
    """Tell a paused respondent so, with a button to resume."""
    lang = record.session.lang
    await send_html(bot, chat_id, _escape(t("tg_paused_offer", lang)), kb.resume_keyboard(record.id, lang))


# -- applying events ------------------------------------------------------------------------------


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
    # The three calls go out together, the next question first: it is the reply a respondent waits
    # for (its request is built and written before the other two, so the server has it first),
    # and, as in send_question, a new question goes out before the old one loses its buttons.
    tasks: list[Awaitable[Any]] = [next_step(bc, context.bot, chat_id, outcome)]
    if query is not None:
        tasks.append(quietly(query.answer(), "answerCallbackQuery"))
    if target:
        tasks.append(show_answer(context.bot, chat_id, target, engine.flow, q, lang, record, event))
    await asyncio.gather(*tasks)


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


async def refuse(update: Update, query: CallbackQuery | None, text: str) -> None:
    """Explain why an answer or command cannot be taken (an alert for a button)."""
    text = sendable(text)
    if query is not None:
        # Telegram shows at most 200 characters in a callback answer.
        short = text if len(text) <= 200 else text[:199] + "…"
        await quietly(query.answer(short, show_alert=True), "answerCallbackQuery")
    elif update.effective_message is not None:
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


def _session_for(bc: BotContext, update: Update) -> tuple[int | None, SessionRecord | None]:
    rid = bc.respondent_id(update.effective_user.id)
    return rid, bc.open_record(rid)


# -- before everything: redelivered updates -------------------------------------------------------


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


# -- commands -------------------------------------------------------------------------------------


@replies
async def start(update: Update, context: Context) -> None:
    """/start [CODE]: greet and ask consent, or resume the unfinished interview."""
    bc = bot_context(context)
    user, chat_id = update.effective_user, update.effective_chat.id
    code = context.args[0] if context.args else ""
    rid, record = _session_for(bc, update)
    if record is None:
        if code:
            bc.remember_before_consent(user.id, code=code)
        await show_consent(bc, context, chat_id, user, code, rid)
        return
    lang = record.session.lang
    if code and code != (record.study_code or ""):
        progress = str(engine_of(record).progress(record.session))
        markup = kb.restart_keyboard(record.id, code if CODE.fullmatch(code) else "", lang, offer_continue=True)
        await send_html(context.bot, chat_id, _escape(t("tg_new_study_offer", lang, progress=progress)), markup)
        return
    await resume(bc, context, update, record)


async def resume(bc: BotContext, context: Context, update: Update, record: SessionRecord) -> None:
    """Continue a paused or unfinished interview at its question."""
    chat_id = update.effective_chat.id
    if record.state == "paused":
        bc.schedule_reminder(record)
        bc.interviews.act(record, "resume", command="resume", update_id=update.update_id)
    progress = str(engine_of(record).progress(record.session))
    await send_question(bc, context.bot, chat_id, record, retire_previous=True,
                        note=t("resuming", record.session.lang, progress=progress))


@replies
async def help_command(update: Update, context: Context) -> None:
    """/help: how to answer and the commands."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    lang = lang_of(bc, context, update.effective_user, rid, record)
    text = t("tg_help", lang)
    for name in bc.extra.get("menu_extra", ()):
        about = t(f"tg_cmd_{name}", lang)
        text += f"\n/{name} — {about[:1].lower()}{about[1:]}"
    await update.effective_message.reply_text(text)


@replies
async def language(update: Update, context: Context) -> None:
    """/language: offer Bahasa Indonesia or English."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    lang = lang_of(bc, context, update.effective_user, rid, record)
    await update.effective_message.reply_text(t("tg_language_choose", lang), reply_markup=kb.language_keyboard())


@replies
async def back(update: Update, context: Context) -> None:
    """/back: ask the previous question again (its answer stays until changed)."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if not await _asking(bc, context, update, rid, record):
        return
    assert record is not None
    try:
        bc.interviews.act(record, "back", command="back", update_id=update.update_id)
    except AnswerError as err:
        await update.effective_message.reply_text(err.text(record.session.lang))
        return
    await send_question(bc, context.bot, update.effective_chat.id, record, retire_previous=True)


@replies
async def skip(update: Update, context: Context) -> None:
    """/skip: skip the current question where the flow allows it."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if await _asking(bc, context, update, rid, record):
        assert record is not None
        if typed_before_question(update, record):
            log.info("session %s: /skip was sent before the current question; not applied", record.id)
            return
        await advance(bc, context, update, record, "skip", command="skip")


async def _asking(bc: BotContext, context: Context, update: Update, rid: int | None,
                  record: SessionRecord | None) -> bool:
    """True when an interview is waiting for an answer; otherwise say why not."""
    if record is not None and record.state == "asking":
        return True
    if record is not None and record.state == "paused":
        await paused_offer(context.bot, update.effective_chat.id, record)
        return False
    await no_interview(bc, context, update, rid)
    return False


async def no_interview(bc: BotContext, context: Context, update: Update, rid: int | None) -> None:
    """There is no open interview: point to /start, or to /result after a finished one."""
    lang = lang_of(bc, context, update.effective_user, rid)
    latest = bc.store.latest_session(rid) if rid is not None else None
    done = latest is not None and latest.state == "finished"
    text = t("tg_finished_already", lang) if done else t("tg_no_interview", lang)
    await update.effective_message.reply_text(text)


@replies
async def review(update: Update, context: Context) -> None:
    """/review: the answers so far, with a ✏️ button to change each."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if record is None:
        record = bc.finished_record(rid)
        if record is None:
            await no_interview(bc, context, update, rid)
            return
    text, markup = review_message(record, 0, review_marks(bc.store.db, record.id))
    await send_html(context.bot, update.effective_chat.id, text, markup)


def review_message(record: SessionRecord, page: int, voices: dict[str, str] | None = None) -> tuple[str, Any]:
    """The text and buttons of one review page of a session (``voices``: its recordings, as
    :func:`bot.recordings.review_marks` gives them)."""
    engine = engine_of(record)
    lang = record.session.lang
    editable = record.state == "asking"
    hint = None
    if editable:
        hint = t("tg_review_hint", lang)
    elif record.state == "paused":
        hint = t("tg_review_resume_hint", lang)
    items = engine.review(record.session)
    text, shown, pages = review_page(engine, items, page, lang, hint=hint, voices=voices)
    if not editable:
        shown = []
    page = max(0, min(page, pages - 1))
    markup = kb.review_keyboard(record.id, shown, page, pages) if (shown or pages > 1) else None
    return text, markup


@replies
async def pause(update: Update, context: Context) -> None:
    """/pause: stop for now; every answer is kept and no reminder is sent."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if not await _asking(bc, context, update, rid, record):
        return
    assert record is not None
    record.remind_at = None
    bc.interviews.act(record, "pause", command="pause", update_id=update.update_id)
    lang = record.session.lang
    chat_id = update.effective_chat.id
    if record.question_message_id:
        await quietly(context.bot.edit_message_reply_markup(chat_id, abs(record.question_message_id), reply_markup=None),
                      "retire question")
    await send_html(context.bot, chat_id, _escape(t("tg_paused", lang)), kb.resume_keyboard(record.id, lang))


@replies
async def resume_command(update: Update, context: Context) -> None:
    """/resume: continue the interview at its question."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if record is None:
        await no_interview(bc, context, update, rid)
        return
    await resume(bc, context, update, record)


@replies
async def result(update: Update, context: Context) -> None:
    """/result: the last assessment again, text and chart."""
    bc = bot_context(context)
    rid = bc.respondent_id(update.effective_user.id)
    record = bc.finished_record(rid)
    lang = lang_of(bc, context, update.effective_user, rid)
    if record is None:
        await update.effective_message.reply_text(t("tg_no_result", lang))
        return
    await send_result(bc, context.bot, update.effective_chat.id, record, lang)


@replies
async def restart(update: Update, context: Context) -> None:
    """/restart: a new interview, after confirmation (the current one is kept, marked withdrawn)."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if record is None:
        await show_consent(bc, context, update.effective_chat.id, update.effective_user, "", rid)
        return
    lang = record.session.lang
    markup = kb.restart_keyboard(record.id, record.study_code or "", lang)
    await update.effective_message.reply_text(t("tg_restart_confirm", lang), reply_markup=markup)


@replies
async def delete(update: Update, context: Context) -> None:
    """/delete: erase every answer and session of this person, after confirmation."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    lang = lang_of(bc, context, update.effective_user, rid, record)
    if rid is None:
        await update.effective_message.reply_text(t("tg_nothing_stored", lang))
        return
    await update.effective_message.reply_text(t("tg_delete_confirm", lang), reply_markup=kb.delete_keyboard(lang))


@replies
async def cancel(update: Update, context: Context) -> None:
    """/cancel: nothing pending is carried out; say so."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
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


MY_GROUPS: set[int] = set()


@replies
async def unknown_command(update: Update, context: Context) -> None:
    """Any other /command: say it is unknown (unless a handler in another group takes it)."""
    for group, handlers in context.application.handlers.items():
        if group in MY_GROUPS:
            continue
        if any(h.check_update(update) not in (None, False) for h in handlers):
            return
    await reply_unknown_command(update, context)


# -- messages -------------------------------------------------------------------------------------


@replies
async def text_message(update: Update, context: Context) -> None:
    """Typed text: the answer to the current question (a number, a text, or a choice by number)."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if not await _asking(bc, context, update, rid, record):
        return
    assert record is not None
    if typed_before_question(update, record):  # the person sees the question asked since: silence
        log.info("session %s: a text sent before the current question is not its answer", record.id)
        return
    q = engine_of(record).current(record.session)
    assert q is not None
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


@replies
async def other_message(update: Update, context: Context) -> None:
    """Stickers, photos, voice, files, locations…: a polite hint of what is expected."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    if record is not None and record.state == "paused":
        await paused_offer(context.bot, update.effective_chat.id, record)
        return
    lang = lang_of(bc, context, update.effective_user, rid, record)
    q = engine_of(record).current(record.session) if record is not None else None
    await update.effective_message.reply_text(t("tg_not_text", lang) + " " + expected_input(q, lang))


@replies
async def edited_message(update: Update, context: Context) -> None:
    """An edited message is not an answer; say how to change one."""
    bc = bot_context(context)
    rid, record = _session_for(bc, update)
    lang = lang_of(bc, context, update.effective_user, rid, record)
    await context.bot.send_message(update.effective_chat.id, t("tg_edited_message", lang))


# -- buttons --------------------------------------------------------------------------------------


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


async def consent(bc: BotContext, context: Context, update: Update, query: CallbackQuery, cb: kb.Callback,
                  rid: int | None) -> None:
    """Agree: start the interview. Decline: record only the refusal."""
    user, chat_id = update.effective_user, update.effective_chat.id
    answer, last, code = cb.arg.split(":", 2)
    lang = lang_of(bc, context, user, rid)
    if str(latest_session_id(bc, rid)) != last:
        # A session was started (or refused) since this prompt: a double tap or an old prompt.
        await stale(query, lang)
        record = bc.open_record(rid)
        if record is not None and record.state == "asking" and not delivered(record):
            await send_question(bc, context.bot, chat_id, record, retire_previous=True)
        return
    rid = bc.ensure_respondent(user.id, lang)
    bc.forget_before_consent(user.id)  # the language is kept on the respondent from now on
    study = find_study(bc, code, rid) if code else None
    flow = study_flow(bc, study)
    code = study.code if study is not None else None
    agreed = answer == "y"
    chosen = t("consent_yes" if agreed else "consent_no", lang)
    shown = consent_text(flow, lang, study_name=study_label(study)).rsplit("\n\n", 1)[0]
    shown += f"\n\n{'✅' if agreed else '✖️'} {_escape(chosen)}"
    record = bc.interviews.begin(rid, flow, lang, CHANNEL, consent=agreed, study_code=code,
                                 organisation=getattr(study, "organisation", None), chat_id=chat_id)
    bc.store.mark_update(update.update_id, replied=False)
    log.info("session %s: %s (flow %s %s, study %s, %s)", record.id, "started" if agreed else "consent refused",
             flow.id, flow.version, code or "-", lang)
    await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                         quietly(query.edit_message_text(shown, parse_mode=ParseMode.HTML), "consent"))
    await context.bot.send_message(chat_id, t("tg_started" if agreed else "consent_refused", lang))
    if agreed:
        await send_question(bc, context.bot, chat_id, record)


async def choose_language(bc: BotContext, context: Context, update: Update, query: CallbackQuery, lang: str,
                          rid: int | None) -> None:
    """Switch the language of this person and of their open interview."""
    chat_id = update.effective_chat.id
    record = None
    if rid is None:
        bc.remember_before_consent(update.effective_user.id, lang=lang)
    else:
        bc.set_respondent_lang(rid, lang)
        record = bc.open_record(rid)
        if record is not None and record.session.lang != lang:
            bc.interviews.set_language(record, lang)
    await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                         quietly(query.edit_message_text(t("tg_language_set", lang)), "language"))
    if record is not None and record.state == "asking":
        await send_question(bc, context.bot, chat_id, record, retire_previous=True)
    elif record is None:
        code = bc.before_consent(update.effective_user.id, "code") or ""
        if rid is None or bc.finished_record(rid) is None:
            await show_consent(bc, context, chat_id, update.effective_user, code, rid)


async def finish_scrub(bc: BotContext, seconds: float = SCRUB_WAIT_SECONDS) -> bool:
    """Retry the scrub of an erasure for a few seconds without holding up other chats; True when
    done. A reader of an older snapshot (an export under way) can hold it up; the sweep then
    finishes it (see ``Store.delete_respondent``)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not bc.store.scrub():
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.25)
    return True


async def confirm(bc: BotContext, context: Context, update: Update, query: CallbackQuery, arg: str,
                  rid: int | None) -> None:
    """Confirmed /restart or /delete, or a cancelled one."""
    chat_id = update.effective_chat.id
    user = update.effective_user
    parts = arg.split(":")
    lang = lang_of(bc, context, user, rid, bc.open_record(rid))
    if parts[0] == "c":
        await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                             quietly(query.edit_message_text(t("tg_cancelled", lang)), "cancel"))
        return
    if parts[0] == "d":
        if rid is None:
            await stale(query, lang)
            return
        bc.store.delete_respondent(rid)
        bc.forget_before_consent(user.id)
        scrubbed = await finish_scrub(bc)
        log.info("a respondent erased their records%s",
                 "" if scrubbed else "; their pages leave the file once a reader of an older snapshot finishes")
        await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                             quietly(query.edit_message_text(t("tg_deleted" if scrubbed else "tg_deleted_scrub_pending",
                                                               lang)), "deleted"))
        return
    # "r:<session>:<code>": withdraw that session, then ask consent for a new interview.
    try:
        sid, code = int(parts[1]), (parts[2] if len(parts) > 2 else "")
    except (IndexError, ValueError):
        await stale(query, lang)
        return
    record = bc.store.load(sid) if rid is not None else None
    if record is None or record.respondent_id != rid or record.state not in ("new", "asking", "paused"):
        await stale(query, lang)
        return
    record.remind_at = None
    bc.interviews.act(record, "withdraw", command="restart", update_id=update.update_id)
    await asyncio.gather(quietly(query.answer(), "answerCallbackQuery"),
                         quietly(query.edit_message_reply_markup(reply_markup=None), "restart"))
    if record.question_message_id:
        await quietly(context.bot.edit_message_reply_markup(chat_id, abs(record.question_message_id), reply_markup=None),
                      "retire question")
    await show_consent(bc, context, chat_id, user, code, rid)


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
    if record.state != "asking" or q is None or flow.position(q.id) != cb.position:
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


# -- errors ---------------------------------------------------------------------------------------


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
