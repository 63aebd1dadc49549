"""One reminder for an unfinished interview, kept in the database so it survives restarts.

Each answer moves ``sessions.remind_at`` to ``MATANG_REMINDER_HOURS`` later; ``/pause`` and the end of
the interview clear it. A sweep runs at start-up and then every ``sweep_seconds``: it finds asking
sessions whose time has come and sends each one reminder with a button to continue. The reminder
is marked sent before it goes out, so a crash can lose a reminder but never repeat one. The same
sweep forgets the ids of updates handled more than a week ago (``Store.forget_updates_before``)
and finishes an erasure whose pages a reader held in the file (``Store.scrub``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.interviews import engine_of
from bot.store import SessionRecord, now
from bot.telegram import keyboards as kb
from bot.telegram.context import CHANNEL, BotContext
from bot.texts import t

log = logging.getLogger("bot.telegram")
BATCH = 200


def due_session_ids(bc: BotContext, at: str | None = None) -> list[int]:
    """Ids of asking Telegram sessions whose reminder is due and was never sent (oldest first)."""
    rows = bc.store.db.query(
        "select id from sessions where channel = ? and state = 'asking' and remind_at is not null"
        " and remind_at <= ? and reminded_at is null and chat_id is not null order by remind_at limit ?",
        [CHANNEL, at or now(), BATCH],
    )
    return [r["id"] for r in rows]


def claim(bc: BotContext, session_id: int) -> SessionRecord | None:
    """Load a session and, if its reminder is still due, mark it sent (no await in between, so no
    handler can change the session under us). None when it is no longer due."""
    record = bc.store.load(session_id)
    stamp = now()
    if (record is None or record.state != "asking" or record.reminded_at is not None
            or record.remind_at is None or record.remind_at > stamp or record.chat_id is None):
        return None
    record.reminded_at = stamp
    record.remind_at = None
    bc.store.save(record)
    bc.store.log(record.id, "delivery", "reminder")
    return record


async def send_reminder(bot: Bot, record: SessionRecord) -> bool:
    """Send the reminder of a claimed session; False when it could not be delivered."""
    lang = record.session.lang
    engine = engine_of(record)
    if engine.checking(record.session):  # every question answered, not sent yet
        text = t("tg_reminder_check", lang)
    else:
        text = t("tg_reminder", lang, progress=str(engine.progress(record.session)))
    try:
        await bot.send_message(record.chat_id, text,
                               reply_markup=kb.resume_keyboard(record.id, lang))
    except Forbidden:
        log.info("session %s: reminder not delivered (the bot is blocked)", record.id)
        return False
    except TelegramError as exc:
        log.warning("session %s: reminder not delivered: %s", record.id, exc)
        return False
    return True


async def sweep(bc: BotContext, bot: Bot) -> int:
    """Send every due reminder; the number sent."""
    sent = 0
    for session_id in due_session_ids(bc):
        record = claim(bc, session_id)
        if record is not None and await send_reminder(bot, record):
            sent += 1
    return sent


async def run_sweeps(bc: BotContext, bot: Bot) -> None:
    """Sweep now and then every ``bc.sweep_seconds`` until cancelled: send the due reminders (when
    reminders are on), forget update ids older than a week, finish a pending erasure on disk. A
    failed sweep is logged."""
    while True:
        try:
            if bc.reminder_hours > 0:
                await sweep(bc, bot)
            # Every handled update leaves its id; pruned only at start-up, a bot that runs for
            # months would keep them all. Idempotency needs a week (see forget_updates_before).
            bc.store.forget_updates_before()
            # An erasure that an export held up leaves the file now, if that export is done.
            bc.store.scrub()
            bc.extra["sweep_count"] = bc.extra.get("sweep_count", 0) + 1
        except Exception:
            log.exception("the sweep failed; trying again in %s s", bc.sweep_seconds)
        await asyncio.sleep(bc.sweep_seconds)


def start_sweeps(bc: BotContext, bot: Bot) -> asyncio.Task[Any]:
    """Start the sweep task (it runs with reminders off too: it also forgets old update ids)."""
    return asyncio.create_task(run_sweeps(bc, bot), name="matang-sweeps")


async def stop_sweeps(task: asyncio.Task[Any] | None) -> None:
    """Cancel the sweep task and wait for it."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
