"""Voice answers in Telegram: a voice note answers the open question being asked.

The recording is fetched through python-telegram-bot's public API (``Voice.get_file()``, then
``File.download_as_bytearray()``), so it works over whatever HTTP transport the bot was built
with. Telegram lets a bot fetch files of at most 20 MB: a larger one is refused with the limit,
and nothing is recorded. The bytes go to the files folder beside the database
(:mod:`bot.recordings`); the recording's row, the answer and the update id commit in one
transaction before the bot replies "🎙 Jawaban suara diterima (0:42)" and asks the next question.

A voice note to a closed question (buttons, a number) gets the same hint as a photo would: tap a
button. No transcription is made unless an engine is plugged in (:mod:`bot.transcription`).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import Update, Voice
from telegram.error import BadRequest, TelegramError

from bot import recordings
from bot.interviews import engine_of
from bot.store import SessionRecord, now
from bot.telegram.context import BotContext
from bot.telegram.conversation import sendable, typed_before_question, with_session
from bot.telegram.delivery import quietly
from bot.telegram.messages import hint_expected
from bot.telegram.steps import next_step, show_answer
from bot.texts import t
from bot.transcription import NO_TRANSCRIBER, Transcriber
from interview_flows.answers import AnswerError
from interview_flows.schema import Question

log = logging.getLogger("bot.telegram")
DOWNLOAD_SECONDS = 60.0
"""How long fetching one recording may take (20 MB over a slow link) before it is given up."""
DOWNLOADS_AT_ONCE = 4
"""Recordings fetched at the same time. Each is held in memory until written (up to 20 MB): 64
chats sending long notes at once must not take a gigabyte; the others wait their turn."""


def takes_voice(q: Question | None) -> bool:
    """Whether a question may be answered by a voice note: an open (free-text) question, but not
    one that asks for the name of the organisation or unit (:data:`bot.recordings.TYPED_NAMES`)."""
    return q is not None and q.type == "text" and q.variable not in recordings.TYPED_NAMES


def answer_part(record: SessionRecord) -> int:
    """Which part of the answer a recording gives: 1, the answer itself, or 2 while the probe
    (the follow-up asked once after a thin first answer) is asked: the recording is its answer."""
    return PROBE_PART if engine_of(record).probing(record.session) else FIRST_PART


FIRST_PART, PROBE_PART = 1, 2
"""A recording's ``part``: the position in :func:`interview_flows.answers.answer_parts` plus one."""


def voice_value(record: SessionRecord, q: Question, duration: int) -> Any:
    """The answer a voice note gives to the question asked (before the engine checks it).

    The probe's answer is the recording: its placeholder becomes the probe part and the first
    part stays as typed. For the question itself, a typed answer (or an answer already in parts)
    is kept as it is and the recording goes beside it (text plus recording); a recording alone
    stands as its placeholder.
    """
    lang = record.session.lang
    if answer_part(record) == PROBE_PART:
        return recordings.placeholder(duration, lang)
    current = record.session.answers.get(q.id)
    if isinstance(current, dict):
        return current  # an answer in parts (after its probe): kept whole, the engine keeps it as is
    typed = isinstance(current, str) and not recordings.is_placeholder(current)
    return current if typed else recordings.placeholder(duration, lang)


def seconds_of(voice: Voice) -> int:
    """The voice note's duration in whole seconds (python-telegram-bot gives an int or a timedelta)."""
    with warnings.catch_warnings():
        # Reading it as an int is deprecated in favour of timedelta; either way we want seconds.
        warnings.simplefilter("ignore")
        duration: Any = voice.duration
    if isinstance(duration, timedelta):
        return int(round(duration.total_seconds()))
    return int(duration or 0)


def transcriber_of(bc: BotContext) -> Transcriber:
    """The speech-to-text engine plugged in, or the one that transcribes nothing."""
    return bc.extra.get("transcriber") or NO_TRANSCRIBER


@with_session
async def voice_message(update: Update, context: Any, bc: BotContext, rid: int | None,
                        record: SessionRecord | None) -> None:
    """A voice note: the answer to the open question asked, or a hint to tap a button."""
    q = engine_of(record).current(record.session) if record is not None and record.state == "asking" else None
    if record is not None and q is not None and q.type == "text" and not takes_voice(q):
        await update.effective_message.reply_text(t("tg_voice_type_name", record.session.lang))
        return
    if record is None or not takes_voice(q):
        await hint_expected(update, context, bc, rid, record)  # the hint a photo or sticker gets
        return
    assert q is not None
    if typed_before_question(update, record):  # as for typed text: it answered an earlier question
        log.info("session %s: a voice note sent before the current question is not its answer", record.id)
        return
    lang = record.session.lang
    voice = update.effective_message.voice
    assert voice is not None
    limit = recordings.TELEGRAM_DOWNLOAD_LIMIT
    if voice.file_size is not None and voice.file_size > limit:
        await too_big(update, lang, voice.file_size)
        return
    try:
        async with downloads(bc):
            tg_file = await voice.get_file()
            if tg_file.file_size is not None and tg_file.file_size > limit:
                await too_big(update, lang, tg_file.file_size)
                return
            fetch = tg_file.download_as_bytearray(read_timeout=DOWNLOAD_SECONDS)
            data = bytes(await asyncio.wait_for(fetch, DOWNLOAD_SECONDS))
    except BadRequest as exc:
        if "too big" in str(exc).lower():  # the Bot API's own refusal above 20 MB
            await too_big(update, lang, voice.file_size)
            return
        log.warning("session %s: the voice note could not be fetched: %s", record.id, exc)
        await update.effective_message.reply_text(t("tg_voice_failed", lang))
        return
    except (TelegramError, TimeoutError) as exc:
        log.warning("session %s: the voice note could not be fetched: %s", record.id, exc)
        await update.effective_message.reply_text(t("tg_voice_failed", lang))
        return
    if len(data) > limit:
        await too_big(update, lang, len(data))
        return
    await keep_voice_answer(bc, context, update, record.id, q, voice, data)


def downloads(bc: BotContext) -> asyncio.Semaphore:
    """The bot's limit on recordings fetched at once (:data:`DOWNLOADS_AT_ONCE`)."""
    gate = bc.extra.get("voice_downloads")
    if gate is None:
        gate = bc.extra["voice_downloads"] = asyncio.Semaphore(DOWNLOADS_AT_ONCE)
    return gate


async def too_big(update: Update, lang: str, size: int | None) -> None:
    """Refuse a recording above Telegram's download limit, saying the limit (and its size)."""
    shown = t("tg_voice_size", lang, size=recordings.megabytes(size)) if size else ""
    limit = recordings.megabytes(recordings.TELEGRAM_DOWNLOAD_LIMIT)
    await update.effective_message.reply_text(t("tg_voice_too_big", lang, limit=limit, size=shown))


async def keep_voice_answer(bc: BotContext, context: Any, update: Update, session_id: int, q: Question,
                            voice: Voice, data: bytes) -> None:
    """Store the recording and the answer in one transaction, confirm, and ask the next step."""
    # Fetching took a while: the session may have moved (a reminder sweep wrote it); work on a
    # fresh copy and only if the same question is still asked.
    record = bc.store.load(session_id)
    engine = engine_of(record) if record is not None else None
    if record is None or engine is None or record.state != "asking" or engine.current(record.session) != q:
        log.info("session %s: the question changed while its voice note was fetched; not applied", session_id)
        return
    lang = record.session.lang
    mime = voice.mime_type or "audio/ogg"
    duration = seconds_of(voice)
    transcript = transcriber_of(bc).transcribe(data, mime, lang)
    part = answer_part(record)
    value = voice_value(record, q, duration)
    path = recordings.keep_audio(bc.store.db, data, mime)
    chat_id = update.effective_chat.id
    target = record.question_message_id
    bc.schedule_reminder(record)
    # As in steps.advance: "the next question is not sent yet", the old message's id negated so
    # that a resend after a crash can still take its buttons off (a probe's "Lewati" among them).
    record.question_message_id = -target if target else None
    try:
        with bc.store.db.atomic():
            recordings.add_recording(bc.store.db, record.id, q.id, path, data, mime_type=mime, duration=duration,
                                     recorded_at=now(), part=part,
                                     source_id=voice.file_unique_id, transcript=transcript)
            outcome = bc.interviews.act(record, "answer", value, command="voice", update_id=update.update_id)
    except AnswerError as err:
        recordings.discard_audio(path)
        await update.effective_message.reply_text(sendable(err.text(lang)))
        return
    except BaseException:
        recordings.discard_audio(path)
        raise
    log.info("session %s: voice answer to %s kept (%ss, %d bytes)", record.id, q.id, duration, len(data))
    tasks = [update.effective_message.reply_text(t("tg_voice_received", lang, duration=recordings.clock(duration)))]
    if target:
        tasks.append(show_answer(context.bot, chat_id, target, engine.flow, q, lang, record, "answer"))
    # The confirmation first, then the next question: the person reads them in that order.
    await tasks[0]
    await asyncio.gather(*(quietly(task, "show answer") for task in tasks[1:]),
                         next_step(bc, context.bot, chat_id, outcome))
