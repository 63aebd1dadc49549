"""Once the next question went out, only what sending it changed is written: a reminder claimed or
an erasure made while it was on its way stays as it is (the bot's copy of the session is older)."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.telegram_helpers import answer, asked, consent, matang_bot, rows


def write(db, sql: str, args: tuple) -> None:
    """Write through a connection of its own, as another task or process would."""
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


async def test_a_reminder_sent_while_the_question_was_on_its_way_is_kept(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db, reminder_hours=24) as (_app, store):
        sari = api.user(1001)
        await consent(sari)
        record = await asked(sari, store)
        first_question = record.question_message_id
        assert rows(db, "select remind_at is not null, reminded_at from sessions where id = ?", (record.id,)) \
            == [(1, None)]
        api.delay("sendMessage", 0.4)
        before = len(api.calls_for("sendMessage"))
        answering = asyncio.ensure_future(answer(sari, store))
        await api.wait_until(lambda: len(api.calls_for("sendMessage")) > before)
        # The sweep claims the reminder now (the bot's copy still has it scheduled, unsent).
        write(db, "update sessions set reminded_at = '2026-01-01T00:00:00.000+00:00', remind_at = null"
                  " where id = ?", (record.id,))
        await answering
        api.delay("sendMessage", None)
        now_asked = await asked(sari, store)
        assert now_asked.question_message_id != first_question
        assert rows(db, "select question_message_id, remind_at, reminded_at from sessions where id = ?",
                    (record.id,)) == [(now_asked.question_message_id, None, "2026-01-01T00:00:00.000+00:00")]
        assert now_asked.session.cursor != record.session.cursor  # the answer itself was applied


async def test_a_session_erased_while_the_question_was_on_its_way_stays_erased(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_app, store):
        sari = api.user(1001)
        await consent(sari)
        record = await asked(sari, store)
        api.delay("sendMessage", 0.4)
        before = len(api.calls_for("sendMessage"))
        answering = asyncio.ensure_future(answer(sari, store))
        await api.wait_until(lambda: len(api.calls_for("sendMessage")) > before)
        assert store.delete_respondent(record.respondent_id) == 1  # /delete, handled meanwhile
        await answering  # the next question still arrives
        api.delay("sendMessage", None)
        await api.wait_idle(timeout=5)
        assert rows(db, "select count(*) from sessions where id = ?", (record.id,)) == [(0,)]

