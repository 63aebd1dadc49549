"""Texts that Telegram split: a message over 4,096 characters arrives as several messages.

Telegram clients cut a long text into pieces of at most 4,096 characters and send them one after
another; the bot receives each as a message of its own. Taken one by one, the first piece was
refused as too long and the next, starting mid-word, was stored as the answer. Here a piece of the
full length marks the start of a split text (an event in the session's log, so a restart keeps
it); the pieces that follow within a few seconds belong to it. None of them is an answer: the
person is told once, and asked for a shorter answer in one message.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Message

from bot.store import SessionRecord, Store

log = logging.getLogger("bot.telegram")
TELEGRAM_MAX_CHARS = 4096
FOLLOW_SECONDS = 10
"""A piece that arrives this soon after a full-length one continues it (clients send at once)."""
MARK = "split"


def full_length(text: str) -> bool:
    """Whether a text is as long as Telegram lets one message be (so it may go on in the next).

    Telegram counts UTF-16 code units: an emoji outside the basic plane counts twice.
    """
    # surrogatepass: an update may carry a lone surrogate (see conversation.sendable); it counts as one unit.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2 >= TELEGRAM_MAX_CHARS


def _stamp(message: Message) -> int:
    date = message.date
    return int(date.timestamp()) if isinstance(date, datetime) else int(date or 0)


def _marker(store: Store, record: SessionRecord) -> tuple[int, int, int | None] | None:
    row = next(store.db.query(
        "select detail from events where session_id = ? and kind = ? order by id desc limit 1",
        [record.id, MARK]), None)
    try:
        parts = [int(part) for part in (row["detail"] if row else "").split(":")]
    except ValueError:
        return None
    if len(parts) == 2:
        return parts[0], parts[1], None
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return None


def continues_split(store: Store, record: SessionRecord, message: Message) -> bool:
    """Whether this message is a later piece of a text Telegram split (see the module).

    A client sends the pieces at once, so they reach Telegram before the bot's explanation of the
    first piece does: a piece comes after the marked one and before that reply. (Updates of one
    bot are handled in order, so the reply is recorded before the next piece is looked at.)
    """
    marker = _marker(store, record)
    if marker is None:
        return False
    marked_id, marked_at, reply_id = marker
    if message.message_id <= marked_id:
        return False
    if reply_id is not None:
        return message.message_id < reply_id
    return 0 <= _stamp(message) - marked_at <= FOLLOW_SECONDS


def mark(store: Store, record: SessionRecord, message: Message, reply_id: int | None = None) -> None:
    """Remember a full-length piece (and the bot's reply to it, once sent): what follows it at
    once is the rest of the same text."""
    detail = f"{message.message_id}:{_stamp(message)}" + (f":{reply_id}" if reply_id is not None else "")
    store.log(record.id, MARK, detail)


def split_piece(store: Store, record: SessionRecord, message: Message) -> str | None:
    """None for an ordinary message; otherwise ``"first"`` (a full-length piece that starts a
    split text: reply, then call :func:`replied`) or ``"rest"`` (a piece that continues one).
    Either way it is not an answer."""
    text = message.text or ""
    follows = continues_split(store, record, message)
    if full_length(text):
        # A middle piece is full length too: the next one follows it, before the same reply.
        previous = _marker(store, record) if follows else None
        mark(store, record, message, previous[2] if previous else None)
        return "rest" if follows else "first"
    if follows:
        log.info("session %s: the rest of a text Telegram split (%d characters) is not an answer",
                 record.id, len(text))
        return "rest"
    return None


def replied(store: Store, record: SessionRecord, message: Message, reply: Message) -> None:
    """Record the bot's explanation after the first piece: later pieces come before it."""
    mark(store, record, message, reply.message_id)
