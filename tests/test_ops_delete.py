"""``matang delete``: a respondent's answers, events, sessions and record leave the file's bytes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.commands.admin import RespondentNotFound, erase_respondent, find_respondent

from .test_hardening_support import file_bytes

MATANG = Path(sys.executable).with_name("matang")
GONE_USER = 918273645  # the Telegram user who asks to be erased
KEPT_USER = 564738291
SECRET_ANSWER = "Tim kami memakai Kucingungu-Zebra-4417 untuk menjadwalkan unggahan"
KEPT_ANSWER = "Jawaban yang tetap Anggrek-Merah-2290"


def matang(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
           stdin: str = "") -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    return subprocess.run([str(MATANG), *args], capture_output=True, text=True, timeout=60, input=stdin,
                          env={**base, **(env or {})}, cwd=cwd)


def add_interview(store, user_id: int, text: str) -> int:
    """A Telegram respondent with a session, two answers (one changed) and their events."""
    from interview_flows.engine import Change, Session

    rid = store.respondent("telegram", str(user_id), name=f"Nama {user_id}", username=f"user{user_id}")
    record = store.create_session(rid, Session(flow_id="small", flow_version="1.0.0", state="asking",
                                               cursor="q1"), "telegram", chat_id=user_id,
                                  changes=[Change("state", None, "new", "asking")])
    store.save(record, [Change("answer", "q1", None, text), Change("answer", "q2", None, ["a", "b"])], update_id=user_id % 100000)
    store.save(record, [Change("change", "q1", text, text + " (diubah)")])
    record.assessment = {"level": 2, "note": text}
    store.save(record, [])
    return rid


@pytest.fixture
def db(tmp_path: Path) -> Path:
    from bot.store import Store

    path = tmp_path / "matang.db"
    store = Store.open(path)
    add_interview(store, GONE_USER, SECRET_ANSWER)
    add_interview(store, KEPT_USER, KEPT_ANSWER)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def traces(data: bytes) -> list[str]:
    """What of the erased respondent can still be found in raw bytes."""
    found = []
    for needle in (SECRET_ANSWER.encode(), b"Kucingungu-Zebra-4417", str(GONE_USER).encode(),
                   f"user{GONE_USER}".encode(), f"Nama {GONE_USER}".encode(),
                   GONE_USER.to_bytes(4, "big")):  # chat_id, stored as a 4-byte big-endian integer
        if needle in data:
            found.append(repr(needle))
    return found


def test_delete_by_telegram_id_leaves_no_trace_in_the_file(db: Path, tmp_path: Path):
    assert traces(file_bytes(db)), "the test database should hold the respondent before the erasure"
    # The bot is running meanwhile: an idle connection holds the database open.
    bot = sqlite3.connect(db)
    bot.execute("select count(*) from sessions").fetchone()
    out = matang("delete", "--respondent", f"telegram:{GONE_USER}", "--db", str(db), "--yes", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"erased respondent 1 (telegram:{GONE_USER}): 1 session(s), 2 answer(s), ")
    assert traces(file_bytes(db)) == []
    bot.close()
    assert traces(file_bytes(db)) == []
    kept = file_bytes(db)
    assert KEPT_ANSWER.encode() in kept and str(KEPT_USER).encode() in kept
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from respondents").fetchone()[0] == 1
    assert conn.execute("select count(*) from events").fetchone()[0] > 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_delete_while_an_export_reads_says_the_scrub_waits_and_the_next_command_finishes_it(db: Path,
                                                                                             tmp_path: Path):
    """An export that began before the erasure still reads the old pages, so they cannot leave the
    file yet. The checkpoint's result used to be ignored: the command said nothing (after blocking
    five seconds) and the answers stayed on disk until some later checkpoint."""
    bot = sqlite3.connect(db)  # the running bot's connection keeps the WAL from being removed at close
    bot.execute("select count(*) from sessions").fetchone()
    export = sqlite3.connect(db, isolation_level=None)
    export.execute("begin")
    assert export.execute("select count(*) from respondents").fetchone() == (2,)
    out = matang("delete", "--respondent", f"telegram:{GONE_USER}", "--db", str(db), "--yes", "--wait", "0.3",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"erased respondent 1 (telegram:{GONE_USER})")
    assert "a reader that started before the erasure" in out.stderr and str(db) in out.stderr
    assert export.execute("select count(*) from respondents").fetchone() == (2,)  # its snapshot, as promised
    assert traces(file_bytes(db))
    export.execute("rollback")
    export.close()
    assert traces(file_bytes(db))  # nothing else checkpoints: the scrub is still owed
    assert matang("study", "list", "--db", str(db), cwd=tmp_path).returncode == 0  # the next command pays it
    assert traces(file_bytes(db)) == []
    bot.close()
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from meta where key = 'scrub_pending'").fetchone() == (0,)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_delete_waits_for_an_export_under_way_and_then_scrubs(db: Path, tmp_path: Path):
    bot = sqlite3.connect(db)
    bot.execute("select count(*) from sessions").fetchone()
    export = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    export.execute("begin")
    export.execute("select count(*) from answers").fetchone()
    done = threading.Timer(1.0, lambda: export.execute("rollback"))  # the export ends a second later
    done.start()
    try:
        out = matang("delete", "--respondent", f"telegram:{GONE_USER}", "--db", str(db), "--yes", cwd=tmp_path)
    finally:
        done.join()
        export.close()
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert traces(file_bytes(db)) == []  # while the bot's connection is still open
    bot.close()


def test_delete_by_internal_id(db: Path, tmp_path: Path):
    out = matang("delete", "--respondent", "2", "--db", str(db), "--yes", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"(telegram:{KEPT_USER})" in out.stdout
    assert KEPT_ANSWER.encode() not in file_bytes(db)


def test_delete_asks_before_erasing(db: Path, tmp_path: Path):
    out = matang("delete", "--respondent", f"telegram:{GONE_USER}", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and "--yes" in out.stderr and "would erase respondent 1" in out.stderr
    assert SECRET_ANSWER.encode() in file_bytes(db)


def test_unknown_respondent_and_missing_database_are_clear_errors(db: Path, tmp_path: Path):
    out = matang("delete", "--respondent", "telegram:1", "--db", str(db), "--yes", cwd=tmp_path)
    assert out.returncode == 2 and "no respondent telegram:1" in out.stderr
    out = matang("delete", "--respondent", "sari", "--db", str(db), "--yes", cwd=tmp_path)
    assert out.returncode == 2 and "telegram:" in out.stderr
    missing = tmp_path / "none.db"
    out = matang("delete", "--respondent", "1", "--db", str(missing), "--yes", cwd=tmp_path)
    assert out.returncode == 2 and not missing.exists()


def test_erase_respondent_library_call(db: Path):
    from bot.store import Store

    store = Store.open(db)
    try:
        assert find_respondent(store, f"telegram:{KEPT_USER}")["id"] == 2
        erased = erase_respondent(store, f"telegram:{KEPT_USER}")
        assert (erased.sessions, erased.answers) == (1, 2)
        with pytest.raises(RespondentNotFound):
            find_respondent(store, f"telegram:{KEPT_USER}")
    finally:
        store.close()
