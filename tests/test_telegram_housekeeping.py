"""The bot's own upkeep while it runs: the ids of handled updates do not pile up for ever.

Every handled update leaves its id in ``updates`` (so a redelivered update is not applied twice).
They used to be pruned only at start-up, so a bot that ran for weeks kept every one of them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from .telegram_helpers import answer, asked, consent, eventually, matang_bot, rows


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")


@pytest.mark.parametrize("reminder_hours", [24.0, 0.0])  # the sweep used to run only with reminders on
async def test_update_ids_older_than_a_week_are_forgotten_while_the_bot_runs(api, tmp_path, reminder_hours):
    db = tmp_path / "m.db"
    async with matang_bot(api, db, reminder_hours=reminder_hours, sweep_seconds=0.05) as (app, store):
        user = api.user(2101, language_code="en")
        await consent(user, "en")
        await answer(user, store)
        record = await asked(user, store)
        press = await user.press(f"a:{record.id}:1:0", record.question_message_id)
        await user.next_message()
        await api.wait_idle()
        handled = [u for (u,) in rows(db, "select update_id from updates order by update_id")]
        assert len(handled) >= 3 and press["update_id"] == handled[-1]
        # Weeks go by while the bot runs: all but the last two ids are from long ago, one of
        # those two from six days ago (within the week a redelivery could still need).
        conn = sqlite3.connect(db)
        with conn:
            for n, update_id in enumerate(handled[:-2]):
                conn.execute("update updates set at = ? where update_id = ?", [days_ago(8 + 10 * n), update_id])
            conn.execute("update updates set at = ? where update_id = ?", [days_ago(6), handled[-1]])
        conn.close()
        extra = app.bot_data["matang"].extra
        later = extra["sweep_count"] + 2
        await eventually(lambda: extra["sweep_count"] >= later, timeout=10, what="two more sweeps")
        assert [u for (u,) in rows(db, "select update_id from updates order by update_id")] == handled[-2:]
        # What is kept still does its job: the six-day-old press, delivered again, is not applied again.
        events = rows(db, "select count(*) from events")
        await api.redeliver(press)
        await api.wait_idle()
        assert rows(db, "select count(*) from events") == events


def test_forgetting_old_update_ids_reads_the_index_not_the_whole_table(tmp_path):
    """It runs every minute on a table of a week of updates: it must not scan them all."""
    from bot.store import Store

    store = Store.open(tmp_path / "m.db")
    try:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN delete from updates where at < ?", ["x"]))
    finally:
        store.close()
    assert "USING COVERING INDEX idx_updates_at" in plan or "USING INDEX idx_updates_at" in plan, plan

