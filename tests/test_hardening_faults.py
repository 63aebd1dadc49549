"""A full disk: a clear message to the person, one clean line for the operator, nothing lost or doubled.

The database lives on a real, tiny tmpfs filesystem that the test fills to the last byte (root
only; the test is skipped where mounting is not allowed). Before filling it, the WAL is
truncated with a checkpoint, so the next answer needs new space on the disk and must fail.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.texts import t
from fakebotapi import FakeBotApi

from .telegram_helpers import TOKEN, answer, consent, eventually, matang_bot, rows
from .test_terminal import FULL, MATANG, SMALL, answers


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for this test."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, db: Path) -> Path:
    """Truncate the database's WAL, then fill the disk until the kernel says ENOSPC."""
    conn = sqlite3.connect(db)
    try:
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "a reader kept the WAL from being truncated"
    finally:
        conn.close()
    filler = disk / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        with contextlib.suppress(OSError):  # ENOSPC: the disk is full
            while True:
                os.write(fd, b"\0" * 4096)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0")
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_terminal_interview_on_a_full_disk_says_so_and_resumes_with_nothing_lost(small_disk, tmp_path):
    db = small_disk / "matang.db"
    env = {**os.environ, "MATANG_DB": str(db)}
    proc = subprocess.Popen(MATANG + ["interview", "--flow", SMALL, "--user", "sari"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    for line in FULL[:3]:  # consent, the note, has_team = yes
        proc.stdin.write(line + "\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 20
    while not (db.exists() and _answers_or_none(db) == {"has_team": '"yes"'}):
        assert time.monotonic() < deadline, "the first answer was not committed"
        time.sleep(0.02)
    filler = fill(small_disk, db)
    out, err = proc.communicate(FULL[3] + "\n", timeout=30)  # team_size: needs new space
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err
    assert err.strip().count("\n") == 0, err  # one line
    assert err.startswith("matang: cannot write to the database: database or disk is full — the disk is full")
    assert "jawaban terakhir belum tersimpan karena gangguan penyimpanan" in out
    assert answers(db) == {"has_team": '"yes"'}

    filler.unlink()  # the operator frees space; the respondent runs the command again
    done = subprocess.run(MATANG + ["interview", "--flow", SMALL, "--user", "sari"], input="\n".join(FULL[3:]) + "\n",
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert rows(db, "select state from sessions") == [("finished",)]
    assert rows(db, "select count(*), count(distinct question_id) from answers") == [(6, 6)]
    assert rows(db, "select question_id, count(*) from events where kind = 'answer' group by question_id"
                    " having count(*) > 1") == []
    assert rows(db, "select value from answers where question_id = 'team_size'") == [("4",)]


def _answers_or_none(db: Path) -> dict[str, str] | None:
    try:
        return answers(db)
    except sqlite3.OperationalError:  # the schema is not there yet
        return None


async def test_telegram_answer_on_a_full_disk_is_refused_clearly_then_taken_once(small_disk, caplog):
    db = small_disk / "matang.db"
    caplog.set_level(logging.ERROR, logger="bot")
    async with FakeBotApi(token=TOKEN) as api, matang_bot(api, db) as (_app, store):
        user = api.user(4401, language_code="id")
        await consent(user)
        await answer(user, store)  # the note
        await answer(user, store, "yes")  # has_team
        filler = fill(small_disk, db)
        user.skip()
        await user.send("4")  # team_size
        reply = await user.next_message(timeout=10)
        assert reply.text == t("tg_storage_fault", "id")
        assert [(q, v) for q, v in rows(db, "select question_id, value from answers")] == [("has_team", '"yes"')]
        lines = [r.getMessage() for r in caplog.records if "not saved" in r.getMessage()]
        assert lines and "database or disk is full — the disk is full: free some space" in lines[0]
        assert all(r.exc_info is None for r in caplog.records if "not saved" in r.getMessage())

        filler.unlink()
        await user.send("4")
        question = await user.next_message(timeout=10)
        assert "Platform apa saja?" in question.plain_text
        await eventually(lambda: rows(db, "select value from answers where question_id = 'team_size'") == [("4",)])
    assert rows(db, "select count(*) from events where kind = 'answer' and question_id = 'team_size'") == [(1,)]
    assert rows(db, "select count(*) from events where kind = 'change'") == [(0,)]


def test_any_command_on_a_full_disk_ends_with_one_clean_line(small_disk, tmp_path):
    db = small_disk / "matang.db"
    env = {**os.environ, "MATANG_DB": str(db)}
    made = subprocess.run(MATANG + ["study", "create", "--name", "Humas 2025", "--org", "Diskominfo"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    filler = fill(small_disk, db)
    done = subprocess.run(MATANG + ["study", "create", "--name", "Humas 2026", "--org", "Diskominfo"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 1
    # Opening the database needs its WAL and shared-memory files, so SQLite's words here vary.
    assert done.stderr.startswith("matang: cannot write to the database: ")
    assert "free some space" in done.stderr or "check its free space" in done.stderr
    assert "Traceback" not in done.stderr
    filler.unlink()
    assert [name for (name,) in rows(db, "select name from studies")] == ["Humas 2025"]


def test_an_error_that_is_not_the_storage_still_shows_its_traceback():
    # Only the storage's refusals are shortened; a bug elsewhere must stay visible.
    from bot.faults import storage_fault

    assert storage_fault(sqlite3.OperationalError("database or disk is full")) == "full"
    assert storage_fault(sqlite3.OperationalError("attempt to write a readonly database")) == "readonly"
    assert storage_fault(sqlite3.OperationalError("no such table: answers")) is None
    assert storage_fault(ValueError("database or disk is full")) is None
