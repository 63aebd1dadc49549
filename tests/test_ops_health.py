"""``matang health``: the database (missing, good, corrupted, newer, behind) and the Bot API
(reachable, wrong token, unreachable), through the real console script."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.health import Check, check_bot_api, check_database, healthy

MATANG = Path(sys.executable).with_name("matang")
TOKEN = "123456789:AAHtest-token_for-health-checks-0123"


def matang(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed console script with a clean MATANG_ environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    return subprocess.run([str(MATANG), *args], capture_output=True, text=True, timeout=60,
                          env={**base, **(env or {})}, cwd=cwd)


def make_db(path: Path) -> Path:
    from bot.store import Store

    Store.open(path).close()
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lines(out: str) -> dict[str, str]:
    """{check name: status word} from the command's output."""
    result = {}
    for line in out.strip().splitlines():
        assert re.match(r"^(ok|FAIL|skip) [a-z-]+: \S", line), f"not a check line: {line!r}"
        status, rest = line.split(" ", 1)
        result[rest.split(":", 1)[0]] = status
    return result


@pytest.fixture
def good_db(tmp_path: Path) -> Path:
    return make_db(tmp_path / "matang.db")


def test_good_database_without_token_is_healthy(good_db: Path, tmp_path: Path):
    out = matang("health", "--db", str(good_db), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert lines(out.stdout) == {"database": "ok", "schema": "ok", "integrity": "ok", "writable": "ok", "erasure": "ok",
                                 "audio": "ok", "bot-api": "skip"}
    assert "MATANG_TELEGRAM_TOKEN is not set" in out.stdout


def test_database_path_comes_from_matang_db(good_db: Path, tmp_path: Path):
    out = matang("health", env={"MATANG_DB": str(good_db)}, cwd=tmp_path)
    assert out.returncode == 0 and f"ok database: {good_db} opens" in out.stdout


def test_missing_database_fails_and_is_not_created(tmp_path: Path):
    missing = tmp_path / "data" / "matang.db"
    out = matang("health", "--db", str(missing), cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.startswith(f"FAIL database: {missing} does not exist")
    assert not missing.exists() and not missing.parent.exists()


def test_health_does_not_migrate_a_database_that_is_behind(tmp_path: Path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute("create table _sqlite_migrations (migration_set text, name text, applied_at text)")
    conn.execute("insert into _sqlite_migrations values ('matang', 'm001_initial', '2025-01-01')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    out = matang("health", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 1
    assert ("FAIL schema: 4 pending migration(s) (m002_study_invites, m003_ids_never_reused, m004_updates_by_time,"
            " m005_recordings)" in out.stdout)
    assert db.read_bytes() == before


def test_corrupted_database_fails(good_db: Path, tmp_path: Path):
    from bot.store import Store

    store = Store.open(good_db)
    for i in range(300):  # enough rows for several pages, so garbage lands inside a b-tree
        store.respondent("telegram", str(10_000 + i), name="x" * 200)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(good_db.read_bytes())
    page = 4096
    for start in range(page * 3, len(data), page * 2):  # every other page after the first three
        data[start:start + 512] = os.urandom(512)
    broken = tmp_path / "broken.db"
    broken.write_bytes(bytes(data))
    out = matang("health", "--db", str(broken), cwd=tmp_path)
    assert out.returncode == 1, out.stdout
    assert "FAIL " in out.stdout and "Traceback" not in out.stderr
    status = lines(out.stdout)
    assert status.get("integrity") == "FAIL" or status.get("database") == "FAIL" or status.get("schema") == "FAIL"


def test_garbage_file_is_not_a_database(tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    out = matang("health", "--db", str(junk), cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.startswith(f"FAIL database: {junk}: not a usable SQLite database")


def test_database_from_a_newer_matang_fails(good_db: Path, tmp_path: Path):
    conn = sqlite3.connect(good_db)
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at)"
                 " values ('matang', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    out = matang("health", "--db", str(good_db), cwd=tmp_path)
    assert out.returncode == 1
    assert "FAIL schema: newer than this Matang knows (unknown migration m999_from_the_future)" in out.stdout


def test_reachable_bot_api(good_db: Path, tmp_path: Path):
    from fakebotapi import FakeBotApiThread

    with FakeBotApiThread(token=TOKEN, bot_username="matang_health_bot") as api:
        env = {"MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_TELEGRAM_API_URL": api.base_url}
        out = matang("health", "--db", str(good_db), env=env, cwd=tmp_path)
        assert [c.method for c in api.calls] == ["getMe"]
    assert out.returncode == 0, out.stdout
    assert "ok bot-api: http://127.0.0.1:" in out.stdout and "@matang_health_bot (id 123456789)" in out.stdout
    assert TOKEN not in out.stdout + out.stderr


def test_refused_token(good_db: Path, tmp_path: Path):
    from fakebotapi import FakeBotApiThread

    with FakeBotApiThread(token="987654321:AAHsome-other-token_000000000000") as api:
        env = {"MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_TELEGRAM_API_URL": api.base_url}
        out = matang("health", "--db", str(good_db), env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert "FAIL bot-api:" in out.stdout and "401" in out.stdout
    assert TOKEN not in out.stdout + out.stderr


def test_unreachable_bot_api(good_db: Path, tmp_path: Path):
    env = {"MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_TELEGRAM_API_URL": f"http://127.0.0.1:{closed_port()}/bot"}
    out = matang("health", "--db", str(good_db), "--timeout", "2", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert lines(out.stdout)["bot-api"] == "FAIL" and "cannot connect" in out.stdout
    assert lines(out.stdout)["database"] == "ok"
    assert TOKEN not in out.stdout + out.stderr


def test_badly_shaped_token_fails_without_calling_anything(good_db: Path, tmp_path: Path):
    out = matang("health", "--db", str(good_db), env={"MATANG_TELEGRAM_TOKEN": "not-a-token"}, cwd=tmp_path)
    assert out.returncode == 1
    assert "FAIL bot-api: MATANG_TELEGRAM_TOKEN does not look like a bot token" in out.stdout


def test_invalid_configuration_is_reported_and_the_database_still_checked(good_db: Path, tmp_path: Path):
    out = matang("health", "--db", str(good_db), env={"MATANG_LANG": "fr"}, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.startswith("FAIL configuration: invalid configuration: MATANG_LANG")
    assert "ok integrity:" in out.stdout


def test_health_works_while_another_connection_writes(good_db: Path, tmp_path: Path):
    writer = sqlite3.connect(good_db, isolation_level=None)
    writer.execute("insert into meta (key, value) values ('k', 'v')")
    out = matang("health", "--db", str(good_db), cwd=tmp_path)
    writer.close()
    assert out.returncode == 0, out.stdout


# -- the library functions -------------------------------------------------------------------


def test_check_lines_and_health():
    assert Check("database", "ok", "fine").line() == "ok database: fine"
    assert Check("bot-api", "fail", "down").line() == "FAIL bot-api: down"
    assert healthy([Check("a", "ok", ""), Check("b", "skip", "")])
    assert not healthy([Check("a", "ok", ""), Check("b", "fail", "")])


def test_unreadable_directory_entry_is_a_failure(tmp_path: Path):
    (tmp_path / "dir.db").mkdir()
    [check] = check_database(tmp_path / "dir.db")
    assert check.status == "fail" and "not a file" in check.detail


def test_read_only_database_is_not_writable(good_db: Path, tmp_path: Path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root may write any file, so a read-only file cannot be shown as such")
    good_db.chmod(0o400)
    try:
        status = {c.name: c.status for c in check_database(good_db)}
    finally:
        good_db.chmod(0o600)
    assert status["writable"] == "fail"


def test_bot_api_error_never_shows_the_token():
    check = check_bot_api(f"http://127.0.0.1:{closed_port()}/bot", TOKEN, timeout=1)
    assert check.status == "fail" and TOKEN not in check.detail and TOKEN.split(":")[1] not in check.detail


def test_health_as_root_hands_sidecar_files_back_to_the_owner(good_db: Path):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to own files as another user")
    os.chown(good_db, 4321, 4321)
    holder = sqlite3.connect(good_db)  # keeps -wal and -shm in existence after the check closes
    holder.execute("select count(*) from meta").fetchone()
    try:
        check_database(good_db)
        for suffix in ("-wal", "-shm"):
            side = good_db.with_name(good_db.name + suffix)
            if side.exists():
                assert (side.stat().st_uid, side.stat().st_gid) == (4321, 4321)
    finally:
        holder.close()
        shutil.rmtree(good_db.parent, ignore_errors=True)


@pytest.mark.parametrize(("minutes_ago", "status", "says"), [
    (None, "ok", "nothing erased is left in the file"),
    (2, "ok", "is being finished on disk"),
    (20, "FAIL", "is not finished on disk: a reader"),
])
def test_an_erasure_held_up_by_a_reader_is_reported_and_fails_once_overdue(good_db: Path, tmp_path: Path,
                                                                          minutes_ago, status, says):
    from datetime import UTC, datetime, timedelta

    from bot.store import SCRUB_PENDING

    if minutes_ago is not None:
        since = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="milliseconds")
        with sqlite3.connect(good_db) as conn:
            conn.execute("insert into meta (key, value) values (?, ?)", [SCRUB_PENDING, since])
    out = matang("health", "--db", str(good_db), cwd=tmp_path)
    assert lines(out.stdout)["erasure"] == status
    assert says in out.stdout
    assert out.returncode == (1 if status == "FAIL" else 0)
