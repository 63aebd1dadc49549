"""Consent and confirmations: the greeting with its agree/decline buttons (a study's invite code
included), the choice of language, and the confirmed /restart and /delete.

Nothing is recorded before a person agrees or declines: a language or an invite code chosen
before that lives only in memory (:meth:`bot.telegram.context.BotContext.remember_before_consent`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from html import escape as _escape
from typing import Any

from telegram import CallbackQuery, Update, User
from telegram.constants import ParseMode

from bot.telegram import keyboards as kb
from bot.telegram.context import CHANNEL, BotContext
from bot.telegram.conversation import Context, delivered, lang_of, send_html, sendable, stale
from bot.telegram.delivery import quietly
from bot.telegram.render import consent_text
from bot.telegram.steps import send_question
from bot.texts import t
from interview_flows.loader import load_flow
from interview_flows.schema import Flow

log = logging.getLogger("bot.telegram")


CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


SCRUB_WAIT_SECONDS = 3.0
"""How long /delete waits for an export to let go of erased pages before saying they follow."""


# -- the greeting ---------------------------------------------------------------------------------


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


# -- confirmations --------------------------------------------------------------------------------


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
