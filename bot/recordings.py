"""Recordings: voice answers kept as audio files in a folder beside the database.

The bytes live in ``<database stem>.files/`` next to the database file (the folder readable by
its owner only, each file ``0600`` under a random name, so a name says nothing about who spoke);
what is known about a recording — its session, question and part, duration, MIME type, size and
SHA-256 — lives in the ``recordings`` table. A recording answers an open question together with
any typed text: the answer's value stays the typed text, or a placeholder such as
``[jawaban suara, 0:42]`` when nothing was typed (:func:`placeholder`).

Writing a recording is two steps: :func:`keep_audio` puts the bytes on disk, then
:func:`add_recording` records the row inside the caller's transaction (with the answer), and
:func:`discard_audio` removes the file if that transaction fails. Erasure goes the other way:
:func:`files_of_respondent` before the rows are deleted, :func:`remove_files` once committed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
"""The largest file a bot may fetch with ``getFile`` from the Bot API (Telegram's own limit)."""
EXTENSIONS = {"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
              "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/webm": ".webm", "audio/aac": ".aac",
              "audio/flac": ".flac", "audio/opus": ".opus"}
_PLACEHOLDER = {"id": "[jawaban suara, {duration}]", "en": "[voice answer, {duration}]"}
_PLACEHOLDER_RE = re.compile(r"^\[(jawaban suara|voice answer), \d+:\d\d(:\d\d)?\]$")


TYPED_NAMES = frozenset({"organisation", "unit"})
"""Variables whose answer is a name researchers group by (exports, the dashboard, the organisation
result): a recording cannot stand for it, so these open questions are typed, never recorded."""


class RecordingError(RuntimeError):
    """A recording cannot be kept (a database without a file, say)."""


@dataclass(frozen=True, slots=True)
class Recording:
    """One stored voice answer: where its bytes are and what is known about them."""

    id: int
    session_id: int
    question_id: str
    part: int
    file: str
    """The file's name inside the files folder (random; says nothing about the respondent)."""
    mime_type: str
    duration: int
    """Seconds, as the sender's app measured them."""
    size: int
    sha256: str
    recorded_at: str
    transcript: str | None = None

    @property
    def clock(self) -> str:
        """The duration as people read it (``0:42``, ``1:05:00``)."""
        return clock(self.duration)


def clock(seconds: int) -> str:
    """Seconds as ``m:ss`` (or ``h:mm:ss`` from an hour on).

    >>> clock(42), clock(65), clock(3600)
    ('0:42', '1:05', '1:00:00')
    """
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def megabytes(size: int) -> str:
    """A size in MB with one decimal, as Telegram states its limit (``20 MB``).

    >>> megabytes(20 * 1024 * 1024), megabytes(26_500_000)
    ('20', '25.3')
    """
    mb = size / (1024 * 1024)
    return f"{mb:.0f}" if mb == int(mb) else f"{mb:.1f}"


def placeholder(duration: int, lang: str) -> str:
    """The answer text of a question answered by a recording alone.

    >>> placeholder(42, "id"), placeholder(65, "en")
    ('[jawaban suara, 0:42]', '[voice answer, 1:05]')
    """
    return _PLACEHOLDER["en" if lang == "en" else "id"].format(duration=clock(duration))


def is_placeholder(value: Any) -> bool:
    """Whether an answer's value is the placeholder of a recording (nothing typed).

    >>> is_placeholder("[jawaban suara, 0:42]"), is_placeholder("Kurang staf")
    (True, False)
    """
    return isinstance(value, str) and bool(_PLACEHOLDER_RE.match(value))


def placeholder_clock(value: Any) -> str | None:
    """The duration a placeholder states (``0:42``), or None for any other value.

    >>> placeholder_clock("[voice answer, 1:05]"), placeholder_clock("ok")
    ('1:05', None)
    """
    if not is_placeholder(value):
        return None
    return str(value).rstrip("]").rsplit(", ", 1)[1]


def database_path(db: Database) -> Path | None:
    """The file of the main database (None for an in-memory one)."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main":
            return Path(row[2]) if row[2] else None
    return None


def files_dir_for(database: str | Path) -> Path:
    """The files folder of the database at ``database``: ``<stem>.files`` beside it.

    >>> files_dir_for("/srv/matang/matang.db").as_posix()
    '/srv/matang/matang.files'
    """
    p = Path(database)
    return p.with_name(p.stem + ".files")


def files_dir(db: Database) -> Path:
    """The files folder of an open database; :class:`RecordingError` for an in-memory one."""
    path = database_path(db)
    if path is None:
        raise RecordingError("an in-memory database keeps no recordings")
    return files_dir_for(path)


def keep_audio(db: Database, data: bytes, mime_type: str) -> Path:
    """Write ``data`` under a new random name in the files folder (0600, flushed to disk).

    The folder is created readable by its owner only. The caller records the file with
    :func:`add_recording` and calls :func:`discard_audio` should that fail.
    """
    folder = files_dir(db)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # an existing folder made by hand with a looser mode is tightened
    name = secrets.token_hex(16) + EXTENSIONS.get(mime_type.split(";")[0].strip().lower(), ".bin")
    path = folder / name
    # O_EXCL: never overwrite; 0600 from the first byte whatever the umask.
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        discard_audio(path)
        raise
    return path


def discard_audio(path: Path) -> None:
    """Remove a file written by :func:`keep_audio` that no row refers to."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def add_recording(db: Database, session_id: int, question_id: str, path: Path, data: bytes, *,
                  mime_type: str, duration: int, recorded_at: str, part: int = 1,
                  source_id: str | None = None, transcript: str | None = None) -> Recording:
    """Record the file at ``path`` (its bytes ``data``) as an answer part of ``question_id``.

    Runs inside the caller's transaction, so the recording and the answer commit together.
    """
    digest = hashlib.sha256(data).hexdigest()
    cur = db.execute(
        "insert into recordings (session_id, question_id, part, file, mime_type, duration, size, sha256,"
        " recorded_at, source_id, transcript) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [session_id, question_id, part, path.name, mime_type, int(duration), len(data), digest, recorded_at,
         source_id, transcript],
    )
    return Recording(int(cur.lastrowid), session_id, question_id, part, path.name, mime_type, int(duration),
                     len(data), digest, recorded_at, transcript)


_COLUMNS = "id, session_id, question_id, part, file, mime_type, duration, size, sha256, recorded_at, transcript"


def recordings_of(db: Database, session_id: int) -> list[Recording]:
    """The recordings of a session, in the order they arrived."""
    rows = db.execute(f"select {_COLUMNS} from recordings where session_id = ? order by id", [session_id])
    return [Recording(*row) for row in rows.fetchall()]


def recordings_by_question(db: Database, session_id: int) -> dict[str, list[Recording]]:
    """The recordings of a session grouped by question id."""
    grouped: dict[str, list[Recording]] = {}
    for rec in recordings_of(db, session_id):
        grouped.setdefault(rec.question_id, []).append(rec)
    return grouped


def all_recordings(db: Database, session_ids: Iterable[int] | None = None) -> list[Recording]:
    """Every recording (of ``session_ids`` when given), by session then arrival."""
    if session_ids is None:
        rows = db.execute(f"select {_COLUMNS} from recordings order by session_id, id").fetchall()
    else:
        ids = list(session_ids)
        rows = []
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit, with room to spare
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows += db.execute(f"select {_COLUMNS} from recordings where session_id in ({marks})"
                               " order by session_id, id", chunk).fetchall()
    return [Recording(*row) for row in rows]


def files_of_respondent(db: Database, respondent_id: int) -> list[str]:
    """The file names of every recording of a respondent (read before their erasure)."""
    if not has_recordings_table(db):
        return []
    rows = db.execute(
        "select r.file from recordings r join sessions s on s.id = r.session_id where s.respondent_id = ?",
        [respondent_id],
    ).fetchall()
    return [row[0] for row in rows]


def remove_files(db: Database, names: Iterable[str]) -> int:
    """Overwrite, then remove, the named files of the files folder; how many were removed.

    Called once the erasure of their rows is committed: a crash in between leaves files no row
    names, which ``matang health`` reports (:func:`orphan_files`), never a row without its file.
    """
    names = list(names)
    if not names:
        return 0
    folder = files_dir(db)
    removed = 0
    for name in names:
        path = folder / Path(name).name  # a stored name is a bare name; never follow a path out
        try:
            size = path.stat().st_size
            # Zeros over the audio before the unlink: a file still open elsewhere, or a disk
            # image taken later, does not give the voice back.
            with open(path, "r+b") as fh:
                fh.write(b"\0" * size)
                fh.flush()
                os.fsync(fh.fileno())
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def review_marks(db: Database, session_id: int) -> dict[str, str]:
    """For the review: ``🎙 0:42`` (one per recording) by question id of a session's voice answers.

    Only recordings of the answer itself (part 1): a probe answered by voice has its placeholder
    in the answer's second part, and the review shows it there (:func:`spoken`).
    """
    if not has_recordings_table(db):
        return {}
    marks = {qid: " ".join(f"🎙 {r.clock}" for r in recs if r.part == 1)
             for qid, recs in recordings_by_question(db, session_id).items()}
    return {qid: mark for qid, mark in marks.items() if mark}


_PLACEHOLDER_IN_TEXT = re.compile(r"\[(?:jawaban suara|voice answer), (\d+:\d\d(?::\d\d)?)\]")


def spoken(text: str, lang: str) -> str:
    """An answer as a respondent reads it, each recording's placeholder said in words.

    >>> spoken("ada\\n+ [jawaban suara, 0:42]", "id")
    'ada\\n+ jawaban suara 🎙 0:42'
    >>> spoken("[jawaban suara, 1:05]", "en")
    'voice answer 🎙 1:05'
    """
    from bot.texts import t

    return _PLACEHOLDER_IN_TEXT.sub(lambda m: t("review_voice_only", lang, recordings=f"🎙 {m.group(1)}"), text)


def copy_files(names: Iterable[str], source: Path, dest: Path) -> tuple[int, int]:
    """Copy the named audio files from folder ``source`` to ``dest`` (owner-only, flushed).

    Returns (copied, missing from ``source``).
    """
    copied = missing = 0
    for name in names:
        name = Path(name).name
        try:
            data = (source / name).read_bytes()
        except FileNotFoundError:
            missing += 1
            continue
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(dest / name, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        copied += 1
    return copied, missing


def missing_files(db: Database) -> list[Recording]:
    """Recordings whose file is no longer in the files folder."""
    if not has_recordings_table(db) or database_path(db) is None:
        return []
    folder = files_dir(db)
    return [rec for rec in all_recordings(db) if not (folder / rec.file).is_file()]


def orphan_files(db: Database) -> list[str]:
    """Files in the files folder that no recording names (left by a crash mid-way)."""
    if not has_recordings_table(db) or database_path(db) is None:
        return []
    folder = files_dir(db)
    if not folder.is_dir():
        return []
    known = {row[0] for row in db.execute("select file from recordings").fetchall()}
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in known)


def counts(db: Database, session_ids: Iterable[int] | None = None) -> tuple[int, int]:
    """How many answers are recordings, and in how many sessions (of ``session_ids`` when given)."""
    recs = all_recordings(db, session_ids) if has_recordings_table(db) else []
    return len({(r.session_id, r.question_id, r.part) for r in recs}), len({r.session_id for r in recs})


def has_recordings_table(db: Database) -> bool:
    """Whether the database has the ``recordings`` table (a database not migrated yet has not)."""
    return db.execute("select 1 from sqlite_master where type = 'table' and name = 'recordings'").fetchone() is not None
