"""Health checks for operators: the database and the Bot API, as results a command can print.

Each check returns a :class:`Check`; ``matang health`` prints one line per check and exits 1 when
any failed. The checks never create, migrate or change a database:

>>> checks = check_database("/nonexistent/matang.db")
>>> print(checks[0].line())
FAIL database: /nonexistent/matang.db does not exist (`matang run` creates it on its first start)
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "fail", "skip"]
BUSY_TIMEOUT_S = 3.0
API_TIMEOUT_S = 5.0
SCRUB_OVERDUE_S = 15 * 60
"""An erasure still not overwritten on disk after this long means a reader is stuck."""


@dataclass(frozen=True)
class Check:
    """The outcome of one check: its name, ok/fail/skip, and one line saying why."""

    name: str
    status: Status
    detail: str

    @property
    def ok(self) -> bool:
        """True unless the check failed (a skipped check is not a failure)."""
        return self.status != "fail"

    def line(self) -> str:
        """``ok database: …``, ``FAIL bot-api: …`` or ``skip bot-api: …``."""
        label = {"ok": "ok", "fail": "FAIL", "skip": "skip"}[self.status]
        detail = " ".join(self.detail.split())  # one check, one line, whatever SQLite said
        return f"{label} {self.name}: {detail}"


def healthy(checks: list[Check]) -> bool:
    """True when no check failed."""
    return all(c.ok for c in checks)


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _connect(path: Path, mode: str, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection that never creates the file (``mode=rw`` or ``ro``)."""
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return conn


def connect_existing(path: str | Path, *, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Connect to an existing database without ever creating it: read-write when allowed, else
    read-only. (Read-write also lets SQLite remove its ``-wal``/``-shm`` files on close.)"""
    p = Path(path)
    try:
        return _connect(p, "rw", timeout)
    except sqlite3.Error:
        return _connect(p, "ro", timeout)


def give_back_sidecars(path: str | Path) -> None:
    """Run as root, hand SQLite's ``-wal``/``-shm``/``-journal`` files we created back to the
    database's owner, so the bot (a dedicated user) can still open its database afterwards."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    p = Path(path)
    try:
        owner = p.stat()
    except OSError:
        return
    for suffix in ("-wal", "-shm", "-journal"):
        side = p.with_name(p.name + suffix)
        try:
            st = side.stat()
            if (st.st_uid, st.st_gid) != (owner.st_uid, owner.st_gid):
                os.chown(side, owner.st_uid, owner.st_gid)
        except OSError:
            pass


def check_database(path: str | Path) -> list[Check]:
    """Check the database at ``path``: it opens, its migrations are current, it is intact, writable.

    Returns the ``database`` check and, when the file opens, ``schema``, ``integrity`` and
    ``writable``. Pending migrations fail (``matang run`` applies them at start), and so does a
    migration this code does not know (the database comes from a newer Matang).
    """
    from bot.migrations import latest_known

    p = Path(path)
    if not p.exists():
        return [Check("database", "fail", f"{p} does not exist (`matang run` creates it on its first start)")]
    if not p.is_file():
        return [Check("database", "fail", f"{p} is not a file")]
    try:  # read-only when we may not write: check what we can, `writable` fails below
        conn = connect_existing(p)
    except sqlite3.Error as exc:
        return [Check("database", "fail", f"{p}: cannot open ({exc})")]
    checks: list[Check] = []
    try:
        try:
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
            tables = conn.execute("select count(*) from sqlite_master where type = 'table'").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return [Check("database", "fail", f"{p}: not a usable SQLite database ({exc})")]
        checks.append(Check("database", "ok", f"{p} opens ({_size(p.stat().st_size)}, {tables} tables, "
                                              f"journal {journal}, SQLite {sqlite3.sqlite_version})"))
        checks.append(_check_schema(conn, latest_known()))
        checks.append(_check_integrity(conn))
        checks.append(_check_writable(conn, p))
        checks.append(_check_erasure(conn))
        checks.append(_check_audio(conn, p))
    finally:
        conn.close()
        give_back_sidecars(p)
    return checks


def _check_erasure(conn: sqlite3.Connection) -> Check:
    """Whether an erased person's old pages still sit in the file (see ``Store.scrub``).

    An export or backup that began before an erasure keeps reading them; the bot's minute sweep
    (or any ``matang`` command) overwrites them once it ends. Still there after
    ``SCRUB_OVERDUE_S``, a reader is stuck, and the erasure is not complete on disk: a failure.
    """
    from bot.store import SCRUB_PENDING

    try:
        row = conn.execute("select value from meta where key = ?", [SCRUB_PENDING]).fetchone()
    except sqlite3.DatabaseError as exc:
        return Check("erasure", "fail", f"cannot read the erasure marker ({exc})")
    if row is None:
        return Check("erasure", "ok", "nothing erased is left in the file")
    try:
        waited = (datetime.now(UTC) - datetime.fromisoformat(row[0])).total_seconds()
    except (TypeError, ValueError):
        waited = SCRUB_OVERDUE_S + 1  # an unreadable time: say so rather than guess it is fresh
    if waited > SCRUB_OVERDUE_S:
        return Check("erasure", "fail", f"an erasure of {row[0]} is not finished on disk: a reader (an export or a "
                                        "backup) has held the erased pages since; let it end or stop it, then "
                                        "the bot's minute sweep or any `matang` command overwrites them")
    return Check("erasure", "ok", f"an erasure of {row[0]} is being finished on disk (an export or backup was "
                                  "reading; the bot's minute sweep completes it)")


def _check_audio(conn: sqlite3.Connection, p: Path) -> Check:
    """Whether every voice answer still has its audio file in the files folder beside the database.

    A missing file fails (restored without its folder, or removed by hand: the recording is
    lost); a folder others may read fails too (it holds people's voices). Files no row names
    (left by a crash between writing the audio and committing its answer) are only counted.
    """
    from bot.recordings import files_dir_for

    folder = files_dir_for(p)
    try:
        has = conn.execute("select 1 from sqlite_master where type = 'table' and name = 'recordings'").fetchone()
        rows = conn.execute("select session_id, question_id, file from recordings order by id").fetchall() if has else []
    except sqlite3.DatabaseError as exc:
        return Check("audio", "fail", f"cannot read the recordings ({exc})")
    if not rows:
        return Check("audio", "ok", "no voice answers recorded")
    missing = [r for r in rows if not (folder / r[2]).is_file()]
    if missing:
        sid, qid, name = missing[0]
        return Check("audio", "fail", f"{len(missing)} of {len(rows)} voice answer(s) have no audio file in {folder} "
                                      f"(first: session {sid}, question {qid}, file {name}); restore the folder from "
                                      "the backup taken with the database")
    mode = folder.stat().st_mode & 0o777
    if mode & 0o077:
        return Check("audio", "fail", f"{folder} may be read by others (mode {mode:o}); `chmod 700 {folder}`")
    known = {r[2] for r in rows}
    strays = sum(1 for f in folder.iterdir() if f.is_file() and f.name not in known)
    extra = f"; {strays} file(s) no answer refers to (a crash before the answer was saved)" if strays else ""
    return Check("audio", "ok", f"{len(rows)} voice answer(s), every audio file present in {folder}{extra}")


def _check_schema(conn: sqlite3.Connection, known: list[str]) -> Check:
    try:
        has_table = conn.execute(
            "select 1 from sqlite_master where type = 'table' and name = '_sqlite_migrations'"
        ).fetchone()
        applied = [r[0] for r in conn.execute(
            "select name from _sqlite_migrations where migration_set = 'matang' order by rowid"
        )] if has_table else []
    except sqlite3.DatabaseError as exc:
        return Check("schema", "fail", f"cannot read the applied migrations ({exc})")
    unknown = [name for name in applied if name not in known]
    if unknown:
        return Check("schema", "fail", f"newer than this Matang knows (unknown migration {unknown[0]}); "
                                       "upgrade Matang before using this database")
    pending = [name for name in known if name not in applied]
    if pending:
        return Check("schema", "fail", f"{len(pending)} pending migration(s) ({', '.join(pending)}); "
                                       "`matang run` applies them when it starts")
    return Check("schema", "ok", f"migrations current ({len(applied)} applied, latest {applied[-1]})")


def _check_integrity(conn: sqlite3.Connection) -> Check:
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    except sqlite3.DatabaseError as exc:
        return Check("integrity", "fail", f"integrity_check could not run ({exc})")
    if rows == ["ok"]:
        return Check("integrity", "ok", "PRAGMA integrity_check ok")
    return Check("integrity", "fail", "integrity_check: " + "; ".join(r.replace("\n", " ") for r in rows))


def _check_writable(conn: sqlite3.Connection, p: Path) -> Check:
    if not os.access(p, os.W_OK):
        return Check("writable", "fail", f"{p} is not writable by this user (uid {os.geteuid()})")
    if not os.access(p.parent, os.W_OK | os.X_OK):
        return Check("writable", "fail", f"{p.parent} is not writable (SQLite needs it for its -wal and -journal files)")
    try:
        # Take the write lock and give it back: proves a write would succeed, changes nothing.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        return Check("writable", "fail", f"cannot take the write lock within {BUSY_TIMEOUT_S:g} s ({exc})")
    return Check("writable", "ok", "write lock taken and released")


def check_bot_api(api_url: str, token: str, *, timeout: float = API_TIMEOUT_S) -> Check:
    """Call ``getMe`` at ``{api_url}{token}/getMe``; ok with the bot's @username, else why not.

    The token never appears in the result, even inside an error from the HTTP library.
    """
    import httpx

    from bot.logs import add_secret, redact

    add_secret(token)
    where = api_url.rstrip("/").removesuffix("/bot") or api_url
    try:
        response = httpx.post(f"{api_url}{token}/getMe", timeout=timeout)
    except httpx.TimeoutException:
        return Check("bot-api", "fail", f"{where}: no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Check("bot-api", "fail", redact(f"{where}: cannot connect ({exc or type(exc).__name__})"))
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.status_code == 401 or (isinstance(body, dict) and body.get("error_code") == 401):
        return Check("bot-api", "fail", f"{where}: the token was refused (401 Unauthorized); check MATANG_TELEGRAM_TOKEN")
    if not isinstance(body, dict) or not body.get("ok") or not isinstance(body.get("result"), dict):
        description = body.get("description") if isinstance(body, dict) else None
        return Check("bot-api", "fail", redact(f"{where}: getMe answered HTTP {response.status_code}"
                                               + (f" ({description})" if description else "")))
    me = body["result"]
    return Check("bot-api", "ok", f"{where}: getMe answered @{me.get('username')} (id {me.get('id')})")


def run_checks(settings: Any, db: str | Path | None = None, *, timeout: float = API_TIMEOUT_S) -> list[Check]:
    """Every check for one installation: the database at ``db`` (else ``settings.db``), then the
    Bot API when ``settings.telegram_token`` is set."""
    checks = check_database(db if db is not None else settings.db)
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value().strip():
        checks.append(Check("bot-api", "skip", "MATANG_TELEGRAM_TOKEN is not set"))
        return checks
    try:
        token = settings.token()
    except ValueError as exc:
        checks.append(Check("bot-api", "fail", str(exc)))
        return checks
    checks.append(check_bot_api(settings.telegram_api_url, token, timeout=timeout))
    return checks
