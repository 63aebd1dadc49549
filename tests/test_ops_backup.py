"""``matang backup``: a consistent, private copy while another connection writes; restore."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.backup import BackupError, backup_database

MATANG = Path(sys.executable).with_name("matang")


def matang(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    return subprocess.run([str(MATANG), *args], capture_output=True, text=True, timeout=120,
                          env={**base, **(env or {})}, cwd=cwd)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    from bot.store import Store

    path = tmp_path / "matang.db"
    store = Store.open(path)
    for i in range(50):
        store.respondent("telegram", str(5000 + i))
    store.close()
    return path


def test_backup_prints_size_and_rows_and_is_private(db: Path, tmp_path: Path):
    dest = tmp_path / "copy.db"
    out = matang("backup", str(dest), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"wrote {dest} ({dest.stat().st_size} bytes): ")
    assert "respondents 50" in out.stdout and "sessions 0" in out.stdout
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    # Self-contained: no -wal needed, and it is a healthy Matang database.
    assert not dest.with_name("copy.db-wal").exists()
    assert sqlite3.connect(dest).execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert matang("health", "--db", str(dest), cwd=tmp_path).returncode == 0


def test_backup_refuses_to_overwrite_unless_forced(db: Path, tmp_path: Path):
    dest = tmp_path / "copy.db"
    dest.write_text("precious")
    out = matang("backup", str(dest), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and "exists" in out.stderr and "--force" in out.stderr
    assert dest.read_text() == "precious"
    dest.chmod(0o644)
    out = matang("backup", str(dest), "--db", str(db), "--force", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert sqlite3.connect(dest).execute("select count(*) from respondents").fetchone()[0] == 50


def test_backup_into_a_directory_names_the_file_by_time(db: Path, tmp_path: Path):
    target = tmp_path / "backups"
    target.mkdir()
    out = matang("backup", str(target), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    [made] = list(target.iterdir())
    assert made.name.startswith("matang-") and made.suffix == ".db"
    assert not [p for p in target.iterdir() if "partial" in p.name]


def test_backup_of_a_missing_database_creates_nothing(tmp_path: Path):
    out = matang("backup", str(tmp_path / "copy.db"), "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert out.returncode == 2 and "no database there" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_backup_to_a_missing_directory_is_a_clear_error(db: Path, tmp_path: Path):
    out = matang("backup", str(tmp_path / "nope" / "copy.db"), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and "no such directory" in out.stderr


def test_backup_of_garbage_leaves_no_partial_file(tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(BackupError, match="not a usable SQLite database"):
        backup_database(junk, tmp_path / "copy.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db"]


def test_backup_is_consistent_while_another_connection_writes(db: Path, tmp_path: Path):
    """A writer adds a respondent and a session in one transaction, over and over; every copy
    made meanwhile must hold as many of one as of the other, and pass the integrity check."""
    from bot.store import Store

    stop = threading.Event()
    written = [0]
    errors: list[BaseException] = []

    def write() -> None:
        store = Store.open(db)
        try:
            i = 0
            while not stop.is_set():
                with store.db.atomic():
                    rid = store.respondent("telegram", f"9{i:08d}", name="n" * 300)
                    store.db.execute(
                        "insert into sessions (respondent_id, flow_id, flow_version, lang, state, channel,"
                        " started_at, updated_at, draft) values (?, 'f', '1', 'id', 'asking', 'telegram', 'now', 'now', ?)",
                        [rid, "d" * 500],
                    )
                i += 1
                written[0] = i
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 200:
            stop.wait(0.01)
        copies = []
        for n in range(5):
            result = backup_database(db, tmp_path / f"copy{n}.db")
            copies.append(result)
    finally:
        stop.set()
        writer.join(30)
    assert not errors
    seen = set()
    for result in copies:
        conn = sqlite3.connect(result.path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sessions = conn.execute("select count(*) from sessions").fetchone()[0]
        telegram = conn.execute("select count(*) from respondents where external_id like '9%'").fetchone()[0]
        assert sessions == telegram == result.rows["sessions"]
        seen.add(sessions)
        conn.close()
    assert max(seen) > 0 and written[0] > max(seen)  # the writer went on during and after the copies


def test_restore_is_copying_the_file_back(db: Path, tmp_path: Path):
    copy = backup_database(db, tmp_path / "copy.db").path
    from bot.store import Store

    store = Store.open(db)
    store.db.execute("delete from respondents")
    store.close()
    # Restore, as the guide says: bot stopped, copy back, remove -wal/-shm, start.
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(copy.read_bytes())
    store = Store.open(db)
    assert next(store.db.query("select count(*) n from respondents"))["n"] == 50
    store.close()
