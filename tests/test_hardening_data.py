"""Data protection: ``/delete`` in Telegram leaves no trace of the person in the database files.

A respondent with a distinctive first name, username and free-text answers takes four interviews
(two finished, one withdrawn by /restart, one open), then erases everything with /delete. The
database file and its -wal are then searched byte by byte: the answer, the Telegram id (as text,
and as the integer SQLite stores in ``sessions.chat_id``), the first name and the username are
gone, while another respondent's records are whole.
"""

from __future__ import annotations

import sqlite3

from bot.texts import t

from .telegram_helpers import consent, eventually, matang_bot, run_interview
from .test_hardening_support import file_bytes, integer_encodings, rows, snapshot

GONE = 918_273_646
KEPT = 564_738_292
FIRST_NAME = "Kusumawardhani-Zebra"
USERNAME = "kusuma_humas_ri_77"
SECRET_ANSWER = "Kami memakai Kucingungu-Merak-4417 untuk menjadwalkan unggahan"
SECOND_ANSWER = "Catatan kedua Anggrek-Biru-9932"
KEPT_ANSWER = "Jawaban yang tetap Cempaka-Putih-1180"


def traces(data: bytes) -> list[str]:
    """What of the erased person can still be found in raw bytes."""
    needles = {
        "answer": SECRET_ANSWER.encode(),
        "answer part": b"Kucingungu-Merak-4417",
        "second answer": b"Anggrek-Biru-9932",
        "telegram id": str(GONE).encode(),
        "first name": FIRST_NAME.encode(),
        "username": USERNAME.encode(),
        **{f"telegram id as a {len(b)}-byte integer": b for b in integer_encodings(GONE)},
    }
    return [name for name, needle in needles.items() if needle in data]


async def test_delete_in_telegram_leaves_no_trace_in_the_database_files(api, tmp_path):
    db = tmp_path / "matang.db"
    async with matang_bot(api, db) as (_, store):
        kept = api.user(KEPT, first_name="Tetap", username="tetap_disimpan")
        await consent(kept)
        await run_interview(kept, store, {"example": KEPT_ANSWER})
        gone = api.user(GONE, first_name=FIRST_NAME, username=USERNAME, last_name="Rahasia")
        await consent(gone)
        await run_interview(gone, store, {"has_team": "yes", "team_size": 12, "example": SECRET_ANSWER})
        await gone.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo")  # the result's chart
        # A second interview, finished; a third withdrawn by /restart; a fourth open.
        await consent(gone)
        await run_interview(gone, store, {"has_team": "no", "platforms": ["x"], "example": SECOND_ANSWER})
        await gone.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo")
        await consent(gone)
        await run_interview(gone, store, {"has_team": "yes", "team_size": 3}, stop=lambda q: q.id == "platforms")
        gone.skip()
        await gone.send("/restart")
        ask = await gone.next_message()
        await gone.press_button(t("tg_restart_yes", "id"), ask)
        prompt = await gone.next_message()
        await gone.press_button("Ya, saya bersedia", prompt)
        await gone.next_message()  # how to answer
        await gone.next_message()  # the first question
        await api.wait_idle()
        assert rows(db, "select count(*) from sessions s join respondents r on r.id = s.respondent_id"
                        " where r.external_id = ?", [str(GONE)]) == [(4,)]
        kept_before = snapshot(db, [KEPT])
        # Before: the person is in the files (the test would prove nothing otherwise).
        assert {"answer", "second answer", "telegram id", "telegram id as a 4-byte integer"} <= set(traces(file_bytes(db)))

        gone.skip()
        await gone.send("/delete")
        ask = await gone.next_message()
        await gone.press_button(t("tg_delete_yes", "id"), ask)
        done = await gone.next_event(lambda e: e.kind == "edited")
        assert done.message.text == t("tg_deleted", "id")
        await api.wait_idle()
        # While the bot still runs (its connection open): nothing left, in the file or the WAL.
        assert traces(file_bytes(db)) == []
        assert snapshot(db, [KEPT]) == kept_before
    # And once it stopped.
    assert traces(file_bytes(db)) == []
    assert KEPT_ANSWER.encode() in file_bytes(db)
    assert rows(db, "select external_id from respondents") == [(str(KEPT),)]
    assert rows(db, "select count(*) from sessions") == [(1,)]
    assert rows(db, "select count(*) from events where session_id not in (select id from sessions)") == [(0,)]
    assert rows(db, "select count(*) from answers where session_id not in (select id from sessions)") == [(0,)]


async def test_delete_while_an_export_reads_says_so_and_the_bot_scrubs_once_it_ends(api, tmp_path):
    """An export that began before /delete still reads the person's old pages: they cannot leave
    the file until it ends. The bot says so instead of claiming they are gone, and its minute
    sweep overwrites them once the export is done."""
    db = tmp_path / "matang.db"
    async with matang_bot(api, db, sweep_seconds=0.05) as (_, store):
        gone = api.user(GONE, first_name=FIRST_NAME, username=USERNAME, language_code="en")
        await consent(gone, "en")
        await run_interview(gone, store, {"has_team": "yes", "team_size": 12, "example": SECRET_ANSWER})
        await api.wait_idle()
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the answer is in the database file itself
        export = sqlite3.connect(db, isolation_level=None)
        export.execute("begin")
        assert export.execute("select count(*) from respondents").fetchone() == (1,)
        gone.skip()
        await gone.send("/delete")
        ask = await gone.next_message()
        await gone.press_button(t("tg_delete_yes", "en"), ask)
        done = await gone.next_event(lambda e: e.kind == "edited", timeout=15)
        assert done.message.text == t("tg_deleted_scrub_pending", "en")
        assert rows(db, "select count(*) from respondents") == [(0,)]  # gone for everyone but that export
        assert "answer" in traces(file_bytes(db))
        export.execute("rollback")
        export.close()
        await eventually(lambda: not traces(file_bytes(db)), timeout=10, what="the sweep's scrub")
        assert rows(db, "select count(*) from meta where key = 'scrub_pending'") == [(0,)]
