"""Records: respondents, sessions, answers and the append-only event log, in SQLite via sqlite-utils.

Every event is written in one transaction — the session row, the changed answers and the event
records — and committed before the channel replies, so an acknowledged answer survives a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.faults import storage_fault
from bot.migrations import latest_known, migrations
from interview_flows.engine import Change, Session

OPEN_STATES = ("new", "asking", "paused")
BUSY_TIMEOUT_MS = 5000
SCRUB_PENDING = "scrub_pending"
"""``meta`` key: set with an erasure, cleared once its pages have left the WAL (see Store.scrub)."""
SCRUB_RETRY_SECONDS = 0.1


class StoreError(RuntimeError):
    """The database cannot be used (unreadable, newer than this code, not a database)."""


def now() -> str:
    """The current time as ISO 8601 with offset (UTC), to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def dumps(value: Any) -> str | None:
    """A value as compact JSON (None stays None)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """JSON text back to a value (None stays None)."""
    return None if text is None else json.loads(text)


@dataclass(eq=False)
class SessionRecord:
    """A stored session: the engine's :class:`Session` plus what the channels and research need."""

    id: int
    respondent_id: int
    channel: str
    session: Session
    started_at: str
    updated_at: str
    study_code: str | None = None
    organisation: str | None = None
    chat_id: int | None = None
    question_message_id: int | None = None
    draft: list[str] = field(default_factory=list)
    finished_at: str | None = None
    assessment: dict[str, Any] | None = None
    remind_at: str | None = None
    reminded_at: str | None = None

    @property
    def state(self) -> str:
        """The engine state (new, asking, paused, finished, withdrawn)."""
        return self.session.state


def open_database(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (creating if needed, readable by its owner only) and migrate the database at ``path``.

    WAL journal, foreign keys on, a busy timeout. Raises :class:`StoreError` when the file is not a
    database or was written by a newer Matang.
    """
    p = Path(path)
    if str(p) != ":memory:" and not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        # Create the file ourselves so it is 0600 from the first byte, whatever the umask.
        fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    try:
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        if storage_fault(exc) is not None:
            raise  # the disk, not the file: the commands say so in one line (bot.faults)
        raise StoreError(f"{p}: not a usable SQLite database ({exc})") from None
    check_schema(db, p)
    if migrate:
        migrations.apply(db)
    return db


def check_schema(db: Database, where: Any = "database") -> None:
    """Refuse a database migrated by a newer Matang rather than damage it."""
    try:
        applied = [m.name for m in migrations.applied(db)]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{where}: not a usable SQLite database ({exc})") from None
    unknown = [name for name in applied if name not in latest_known()]
    if unknown:
        raise StoreError(
            f"{where}: the database schema is newer than this Matang knows "
            f"(unknown migration {unknown[0]}); upgrade Matang before using this database"
        )


class Store:
    """All reads and writes of interview records. One instance per thread (SQLite's rule)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open the database at ``path`` (see :func:`open_database`)."""
        return cls(open_database(path))

    def close(self) -> None:
        """Close the connection, first finishing a pending erasure on disk if it can (see :meth:`scrub`)."""
        with contextlib.suppress(sqlite3.Error):  # read-only or locked: a later scrub finishes it
            self.scrub()
        self.db.conn.close()

    def select(self, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
        """The rows of a read-only ``SELECT`` as dicts, straight from the connection.

        sqlite-utils' ``query`` wraps every statement in a savepoint (three statements where one
        does) to catch a statement that returns no rows; these reads are fixed SELECTs, and on the
        path of every answer (issue 17).
        """
        cursor = self.db.conn.execute(sql, params)
        keys = [d[0] for d in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    # -- meta ------------------------------------------------------------------------------

    def meta(self, key: str, make: Any = None) -> str | None:
        """A per-installation value; when absent and ``make`` is given, store ``make()`` once."""
        row = next(self.db.query("select value from meta where key = ?", [key]), None)
        if row is not None:
            return row["value"]
        if make is None:
            return None
        value = make()
        self.db.execute("insert or ignore into meta (key, value) values (?, ?)", [key, value])
        return self.meta(key)

    # -- respondents -----------------------------------------------------------------------

    def respondent(
        self,
        channel: str,
        external_id: str,
        *,
        name: str | None = None,
        username: str | None = None,
        lang: str | None = None,
    ) -> int:
        """The id of the respondent known on ``channel`` as ``external_id``, created on first sight."""
        row = next(
            self.db.query("select id from respondents where channel = ? and external_id = ?", [channel, external_id]),
            None,
        )
        if row is not None:
            if name is not None or username is not None:
                self.db.execute(
                    "update respondents set name = coalesce(?, name), username = coalesce(?, username) where id = ?",
                    [name, username, row["id"]],
                )
            return int(row["id"])
        cur = self.db.execute(
            "insert into respondents (channel, external_id, name, username, lang, created_at) values (?, ?, ?, ?, ?, ?)",
            [channel, external_id, name, username, lang, now()],
        )
        return int(cur.lastrowid)

    def respondent_row(self, respondent_id: int) -> dict[str, Any] | None:
        """The respondent's row."""
        return next(self.select("select * from respondents where id = ?", [respondent_id]), None)

    # -- sessions --------------------------------------------------------------------------

    def create_session(
        self,
        respondent_id: int,
        session: Session,
        channel: str,
        *,
        study_code: str | None = None,
        organisation: str | None = None,
        chat_id: int | None = None,
        changes: Iterable[Change] = (),
    ) -> SessionRecord:
        """Store a new session (and the changes that started it) in one transaction."""
        stamp = now()
        with self.db.atomic():
            cur = self.db.execute(
                "insert into sessions (respondent_id, study_code, organisation, flow_id, flow_version, lang, state,"
                " cursor, skipped, draft, channel, chat_id, started_at, updated_at)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?)",
                [
                    respondent_id,
                    study_code,
                    organisation,
                    session.flow_id,
                    session.flow_version,
                    session.lang,
                    session.state,
                    session.cursor,
                    dumps(sorted(session.skipped)),
                    channel,
                    chat_id,
                    stamp,
                    stamp,
                ],
            )
            record = SessionRecord(
                id=int(cur.lastrowid),
                respondent_id=respondent_id,
                channel=channel,
                session=session,
                started_at=stamp,
                updated_at=stamp,
                study_code=study_code,
                organisation=organisation,
                chat_id=chat_id,
            )
            self._write_changes(record, list(changes), stamp)
        return record

    def load(self, session_id: int) -> SessionRecord | None:
        """The session with this id, answers included."""
        row = next(self.select("select * from sessions where id = ?", [session_id]), None)
        return self._record(row) if row else None

    def open_session(self, respondent_id: int) -> SessionRecord | None:
        """The respondent's unfinished session (new, asking or paused), the latest if several."""
        row = next(
            self.select(
                "select * from sessions where respondent_id = ? and state in ('new', 'asking', 'paused')"
                " order by id desc limit 1",
                [respondent_id],
            ),
            None,
        )
        return self._record(row) if row else None

    def latest_session(self, respondent_id: int, state: str | None = None) -> SessionRecord | None:
        """The respondent's most recent session (optionally in ``state``)."""
        sql = "select * from sessions where respondent_id = ?"
        args: list[Any] = [respondent_id]
        if state:
            sql += " and state = ?"
            args.append(state)
        row = next(self.select(sql + " order by id desc limit 1", args), None)
        return self._record(row) if row else None

    def sessions_of(self, respondent_id: int) -> list[int]:
        """Ids of every session of a respondent."""
        return [r["id"] for r in self.select("select id from sessions where respondent_id = ?", [respondent_id])]

    def _record(self, row: dict[str, Any]) -> SessionRecord:
        stored = self.db.conn.execute("select question_id, value from answers where session_id = ?",
                                      [row["id"]]).fetchall()
        # One JSON document for all the answers: parsed once, not once per answer (a session is
        # read on every answer; issue 17).
        values = json.loads("[" + ",".join("null" if v is None else v for _, v in stored) + "]")
        answers = {question_id: value for (question_id, _), value in zip(stored, values, strict=True)}
        session = Session(
            flow_id=row["flow_id"],
            flow_version=row["flow_version"],
            lang=row["lang"],
            state=row["state"],
            cursor=row["cursor"],
            answers=answers,
            skipped=set(loads(row["skipped"]) or []),
        )
        return SessionRecord(
            id=row["id"],
            respondent_id=row["respondent_id"],
            channel=row["channel"],
            session=session,
            started_at=row["started_at"],
            updated_at=row["updated_at"],
            study_code=row["study_code"],
            organisation=row["organisation"],
            chat_id=row["chat_id"],
            question_message_id=row["question_message_id"],
            draft=loads(row["draft"]) or [],
            finished_at=row["finished_at"],
            assessment=loads(row["assessment"]),
            remind_at=row["remind_at"],
            reminded_at=row["reminded_at"],
        )

    def save(
        self,
        record: SessionRecord,
        changes: Iterable[Change] = (),
        *,
        command: str | None = None,
        update_id: int | None = None,
    ) -> None:
        """Write the session, its changed answers and their events in one transaction.

        ``command`` logs the command that caused it; ``update_id`` marks a Telegram update as
        applied in the same transaction, so a redelivered update is recognised.
        """
        stamp = now()
        changes = list(changes)
        with self.db.atomic():
            if update_id is not None:
                self.db.execute("insert into updates (update_id, at, replied) values (?, ?, 0)", [update_id, stamp])
            if command:
                self._event(record.id, stamp, "command", detail=command)
            self._write_changes(record, changes, stamp)
            s = record.session
            if s.state == "finished" and record.finished_at is None:
                record.finished_at = stamp
            record.updated_at = stamp
            self.db.execute(
                "update sessions set lang = ?, state = ?, cursor = ?, skipped = ?, draft = ?, organisation = ?,"
                " chat_id = ?, question_message_id = ?, updated_at = ?, finished_at = ?, assessment = ?,"
                " remind_at = ?, reminded_at = ? where id = ?",
                [
                    s.lang,
                    s.state,
                    s.cursor,
                    dumps(sorted(s.skipped)),
                    dumps(record.draft),
                    record.organisation,
                    record.chat_id,
                    record.question_message_id,
                    stamp,
                    record.finished_at,
                    dumps(record.assessment),
                    record.remind_at,
                    record.reminded_at,
                    record.id,
                ],
            )

    def question_sent(self, record: SessionRecord, message_id: int, chat_id: int, remind_at: str | None, *,
                      draft: list[str] | None = None) -> bool:
        """Record that the session's current question went out as ``message_id`` in ``chat_id``,
        changing only what sending it changes; False when the session was erased meanwhile.

        Other tasks (the reminder sweep, an erasure) may have written the session while the question
        was on its way, so the row is not overwritten from ``record``: one UPDATE sets the message,
        the chat, ``draft`` (a multiple choice's ticks so far) where the stored one is empty, and
        ``remind_at`` where no reminder is scheduled nor was sent and the session is asking.
        ``record`` is changed alike.
        (It used to be a fresh read and a whole save: twice the work on every answer; issue 17.)
        """
        stamp = now()
        draft_text = dumps(draft) if draft else None
        cursor = self.db.conn.execute(
            "update sessions set question_message_id = ?, chat_id = ?, updated_at = ?,"
            " draft = case when ? is not null and (draft is null or draft = '[]') then ? else draft end,"
            " remind_at = case when remind_at is null and reminded_at is null and state = 'asking'"
            " then ? else remind_at end where id = ?",
            [message_id, chat_id, stamp, draft_text, draft_text, remind_at, record.id],
        )
        if cursor.rowcount == 0:
            return False
        record.question_message_id, record.chat_id, record.updated_at = message_id, chat_id, stamp
        if record.remind_at is None and record.reminded_at is None and record.state == "asking":
            record.remind_at = remind_at
        return True

    def _write_changes(self, record: SessionRecord, changes: list[Change], stamp: str) -> None:
        for ch in changes:
            if ch.kind == "answer":
                self.db.execute(
                    "insert into answers (session_id, question_id, value, first_answered_at, answered_at, times_changed)"
                    " values (?, ?, ?, ?, ?, 0) on conflict(session_id, question_id) do update set"
                    " value = excluded.value, answered_at = excluded.answered_at, times_changed = times_changed + 1",
                    [record.id, ch.question_id, dumps(ch.new), stamp, stamp],
                )
            elif ch.kind == "change":
                self.db.execute(
                    "update answers set value = ?, answered_at = ?, times_changed = times_changed + 1"
                    " where session_id = ? and question_id = ?",
                    [dumps(ch.new), stamp, record.id, ch.question_id],
                )
            elif ch.kind in ("probe", "probe_skip"):
                # The follow-up is the second part of the same answer: the value grows a part, the
                # answer is not counted as changed, and the event of its own kind keeps when.
                self.db.execute(
                    "update answers set value = ?, answered_at = ? where session_id = ? and question_id = ?",
                    [dumps(ch.new), stamp, record.id, ch.question_id],
                )
            elif ch.kind == "skip" and ch.old is not None:
                self.db.execute(
                    "delete from answers where session_id = ? and question_id = ?", [record.id, ch.question_id]
                )
            self._event(record.id, stamp, ch.kind, ch.question_id, ch.old, ch.new)

    def _event(
        self,
        session_id: int,
        stamp: str,
        kind: str,
        question_id: str | None = None,
        old: Any = None,
        new: Any = None,
        detail: str | None = None,
    ) -> None:
        self.db.execute(
            "insert into events (session_id, at, kind, question_id, old_value, new_value, detail)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            [session_id, stamp, kind, question_id, dumps(old), dumps(new), detail],
        )

    def log(self, session_id: int, kind: str, detail: str | None = None) -> None:
        """Record a command or delivery event that changed no answer."""
        self._event(session_id, now(), kind, detail=detail)

    def answer_rows(self, session_id: int) -> list[dict[str, Any]]:
        """The stored answers of a session with their times and change counts."""
        return list(self.db.query("select * from answers where session_id = ?", [session_id]))

    def events(self, session_id: int) -> Iterator[dict[str, Any]]:
        """The event log of a session, in order."""
        return self.db.query("select * from events where session_id = ? order by id", [session_id])

    # -- Telegram updates ------------------------------------------------------------------

    def update_seen(self, update_id: int) -> dict[str, Any] | None:
        """The record of an update already applied (``replied`` says whether its reply went out)."""
        return next(self.select("select * from updates where update_id = ?", [update_id]), None)

    def mark_update(self, update_id: int, *, replied: bool) -> None:
        """Record that an update was handled (and whether its reply went out)."""
        self.db.execute(
            "insert into updates (update_id, at, replied) values (?, ?, ?)"
            " on conflict(update_id) do update set replied = excluded.replied",
            [update_id, now(), int(replied)],
        )

    def forget_updates_before(self, days: int = 7) -> int:
        """Drop the ids of updates handled more than ``days`` ago; the number dropped.

        An id is kept only to recognise the same update delivered again (after a crash before
        Telegram heard that it arrived). Telegram keeps an undelivered update for at most a day,
        so a week of ids is ample; the running bot calls this every minute (the index on ``at``
        keeps that cheap), so the table holds about a week of updates, however long it runs.
        """
        cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
        return self.db.execute("delete from updates where at < ?", [cutoff]).rowcount

    # -- erasure ---------------------------------------------------------------------------

    def delete_respondent(self, respondent_id: int, *, wait: float = 0.0) -> int:
        """Erase a respondent: answers, recordings (rows and audio files), events, sessions and the
        respondent row. Returns sessions erased.

        The rows are gone from every query once this returns. Their bytes leave the disk too:
        ``secure_delete`` overwrites the pages they were on, and :meth:`scrub` copies the new
        pages into the database file and truncates the WAL. A reader that still holds a snapshot
        from before the erasure (an export or a backup under way) keeps the old pages alive until
        it finishes; the scrub is then retried for ``wait`` seconds and, if still blocked, left
        pending (:meth:`scrub_pending`) for the next :meth:`scrub`: the bot's minute sweep, the
        next erasure, or the close of any :class:`Store`.
        """
        from bot.recordings import files_of_respondent, has_recordings_table, remove_files

        ids = self.sessions_of(respondent_id)
        audio = files_of_respondent(self.db, respondent_id)
        voiced = has_recordings_table(self.db)  # an old schema (opened without migrating) has none
        self.db.execute("PRAGMA secure_delete = ON")
        with self.db.atomic():
            for sid in ids:
                if voiced:
                    self.db.execute("delete from recordings where session_id = ?", [sid])
                self.db.execute("delete from answers where session_id = ?", [sid])
                self.db.execute("delete from events where session_id = ?", [sid])
            self.db.execute("delete from sessions where respondent_id = ?", [respondent_id])
            self.db.execute("delete from respondents where id = ?", [respondent_id])
            # Committed with the erasure: a crash before the scrub still leaves it owed.
            # "or ignore": the time kept is that of the oldest erasure still owed (health reports its age).
            self.db.execute("insert or ignore into meta (key, value) values (?, ?)", [SCRUB_PENDING, now()])
        # The audio of voice answers goes once no row names it any more (see bot.recordings).
        remove_files(self.db, audio)
        deadline = time.monotonic() + wait
        while not self.scrub() and time.monotonic() < deadline:
            time.sleep(SCRUB_RETRY_SECONDS)
        return len(ids)

    def scrub(self) -> bool:
        """Finish pending erasures on disk; True when nothing erased is left there.

        One ``PRAGMA wal_checkpoint(TRUNCATE)``, waiting for no one (this runs on the bot's event
        loop): it copies every page of the WAL into the database file and empties the WAL, so the
        pages an erasure overwrote replace the old ones everywhere. SQLite reports it incomplete
        while another connection reads an older snapshot or writes; the erasure then stays pending.
        Nothing pending: nothing done, True.
        """
        if self.scrub_pending() is None:
            return True
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            busy, _log, _copied = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if busy:
            return False
        self.db.execute("delete from meta where key = ?", [SCRUB_PENDING])
        return True

    def scrub_pending(self) -> str | None:
        """When the oldest erasure still waiting for :meth:`scrub` was made (None: none waits)."""
        return self.meta(SCRUB_PENDING)


async def in_worker_thread(store: Store, work: Any, *args: Any) -> Any:
    """Run ``work(store, *args)`` in a worker thread on its own connection to the same database
    (SQLite connections belong to one thread), so the bot keeps answering meanwhile; an
    in-memory database exists on this connection only and is used here."""
    import asyncio

    path = next((file for _seq, name, file in store.db.conn.execute("PRAGMA database_list") if name == "main"), None)
    if not path:
        return work(store, *args)

    def run() -> Any:
        own = Store.open(path)
        try:
            return work(own, *args)
        finally:
            own.close()

    return await asyncio.to_thread(run)
