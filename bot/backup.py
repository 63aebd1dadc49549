"""A consistent copy of the database while the bot runs, with SQLite's online backup API.

The copy is taken in one step from one read transaction, so it is a snapshot of one moment even
while the bot keeps writing (WAL lets the writer go on meanwhile). It is written beside the
destination under a temporary name, checked, made self-contained (no ``-wal`` file needed),
and renamed into place, readable by its owner only (mode 0600).

The audio of voice answers the copy refers to is copied into the files folder beside it
(``<name>.files/``, see :mod:`bot.recordings`).

Restore: stop the bot, copy the backup over the database file (and delete any ``-wal`` and
``-shm`` files beside it) and its files folder over the database's, start the bot.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.health import connect_existing, give_back_sidecars


class BackupError(RuntimeError):
    """The backup cannot be made (no source, destination exists, not a database …)."""


@dataclass
class BackupResult:
    """Where the copy went, its size in bytes and the rows of each table in it."""

    path: Path
    size: int
    rows: dict[str, int] = field(default_factory=dict)
    audio: int = 0
    """Audio files of voice answers copied into the files folder beside the copy."""
    audio_missing: int = 0
    """Recordings in the copy whose audio was not there to copy (see ``matang health``)."""

    def summary(self) -> str:
        """One line for people: path, size and row counts (and the audio files copied)."""
        counts = ", ".join(f"{name} {n}" for name, n in self.rows.items())
        line = f"wrote {self.path} ({self.size} bytes): {counts or 'no tables'}"
        if self.audio or self.audio_missing:
            from bot.recordings import files_dir_for

            line += f"; {self.audio} audio file(s) copied to {files_dir_for(self.path)}"
            if self.audio_missing:
                line += f", {self.audio_missing} missing from the source"
        return line


def default_name(now: datetime | None = None) -> str:
    """``matang-YYYYMMDD-HHMMSS.db`` in UTC, for a backup written into a directory."""
    return f"matang-{(now or datetime.now(UTC)).strftime('%Y%m%d-%H%M%S')}.db"


def backup_database(source: str | Path, dest: str | Path, *, force: bool = False) -> BackupResult:
    """Copy the database ``source`` to ``dest`` (a file, or a directory to put a dated file in).

    Refuses to overwrite an existing file unless ``force``. Never creates ``source``.

    >>> import tempfile, sqlite3, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> sqlite3.connect(d / "m.db").executescript("create table t (x); insert into t values (1);")  # doctest: +ELLIPSIS
    <sqlite3.Cursor ...>
    >>> backup_database(d / "m.db", d / "copy.db").rows
    {'t': 1}
    """
    src_path = Path(source)
    dest_path = Path(dest)
    if not src_path.is_file():
        raise BackupError(f"{src_path}: no database there")
    if dest_path.is_dir():
        dest_path = dest_path / default_name()
    if not dest_path.parent.is_dir():
        raise BackupError(f"{dest_path.parent}: no such directory")
    if dest_path.exists():
        if dest_path.resolve() == src_path.resolve():
            raise BackupError(f"{dest_path}: is the database itself")
        if not force:
            raise BackupError(f"{dest_path}: exists; choose another name or add --force to overwrite it")

    tmp = dest_path.with_name(f".{dest_path.name}.partial-{os.getpid()}")
    _remove(tmp)
    # Created 0600 before a byte is written, whatever the umask: the copy holds every answer.
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        try:
            src = connect_existing(src_path, timeout=10)
        except sqlite3.Error as exc:
            raise BackupError(f"{src_path}: cannot open ({exc})") from None
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            try:
                # pages=-1: the whole database in one step, one read transaction, one moment.
                src.backup(dst, pages=-1)
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{src_path}: not a usable SQLite database ({exc})") from None
            # The copy must stand alone: no -wal file beside it to lose on the way to tape.
            dst.execute("PRAGMA journal_mode = DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy fails its check ({check}); the source may be damaged, see `matang health`")
            rows = _row_counts(dst)
        finally:
            dst.close()
            src.close()
            give_back_sidecars(src_path)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest_path)
        os.chmod(dest_path, 0o600)
        _fsync_dir(dest_path.parent)
    except BaseException:
        _remove(tmp)
        raise
    audio, missing = _copy_audio(src_path, dest_path)
    return BackupResult(path=dest_path, size=dest_path.stat().st_size, rows=rows, audio=audio, audio_missing=missing)


def _copy_audio(src_path: Path, dest_path: Path) -> tuple[int, int]:
    """Copy the audio the copy's recordings name into the files folder beside the copy.

    The list comes from the copy, so the audio matches its snapshot; a file erased since (a
    respondent's /delete) is not brought back. Returns (copied, missing).
    """
    from bot.recordings import copy_files, files_dir_for

    conn = sqlite3.connect(dest_path)
    try:
        has = conn.execute("select 1 from sqlite_master where type = 'table' and name = 'recordings'").fetchone()
        names = [r[0] for r in conn.execute("select file from recordings")] if has else []
    finally:
        conn.close()
    if not names:
        return 0, 0
    return copy_files(names, files_dir_for(src_path), files_dir_for(dest_path))


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
    )]
    return {name: conn.execute(f'select count(*) from "{name}"').fetchone()[0] for name in names}


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-journal")):
        p.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
