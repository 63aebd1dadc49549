"""The database schema, as sqlite-utils migrations. Add a new function for every change; never edit one."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database, Migrations

migrations = Migrations("matang")


@migrations()
def m001_initial(db: Database) -> None:
    """Respondents, studies, sessions, current answers, the append-only event log, processed updates."""
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["respondents"].create(
        {
            "id": int,
            "channel": str,  # telegram or terminal
            "external_id": str,  # Telegram user id, or the terminal's local user
            "name": str,
            "username": str,
            "lang": str,
            "created_at": str,
        },
        pk="id",
    )
    db["respondents"].create_index(["channel", "external_id"], unique=True)
    db["studies"].create(
        {
            "code": str,
            "name": str,
            "organisation": str,
            "flow_id": str,
            "flow_version": str,
            "researchers": str,  # JSON list of Telegram user ids
            "created_at": str,
            "closed_at": str,
        },
        pk="code",
        not_null={"name", "flow_id", "flow_version", "created_at"},
    )
    db["sessions"].create(
        {
            "id": int,
            "respondent_id": int,
            "study_code": str,
            "organisation": str,
            "flow_id": str,
            "flow_version": str,
            "lang": str,
            "state": str,
            "cursor": str,
            "skipped": str,  # JSON list of question ids
            "draft": str,  # JSON list: a multiple choice being ticked in Telegram
            "channel": str,
            "chat_id": int,
            "question_message_id": int,  # the Telegram message that asks the current question
            "started_at": str,
            "updated_at": str,
            "finished_at": str,
            "assessment": str,  # JSON, the assessment made when the interview finished
            "remind_at": str,
            "reminded_at": str,
        },
        pk="id",
        foreign_keys=[("respondent_id", "respondents", "id"), ("study_code", "studies", "code")],
        not_null={"respondent_id", "flow_id", "flow_version", "lang", "state", "channel", "started_at"},
    )
    db["sessions"].create_index(["respondent_id", "state"])
    db["sessions"].create_index(["study_code"])
    db["sessions"].create_index(["remind_at"])
    db["answers"].create(
        {
            "session_id": int,
            "question_id": str,
            "value": str,  # JSON
            "first_answered_at": str,
            "answered_at": str,
            "times_changed": int,
        },
        pk=("session_id", "question_id"),
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"value", "answered_at"},
    )
    db["events"].create(
        {
            "id": int,
            "session_id": int,
            "at": str,
            "kind": str,  # answer, change, skip, state, command, delivery
            "question_id": str,
            "old_value": str,  # JSON
            "new_value": str,  # JSON
            "detail": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "at", "kind"},
    )
    db["events"].create_index(["session_id", "id"])
    db["updates"].create({"update_id": int, "at": str, "replied": int}, pk="update_id")


@migrations()
def m002_study_invites(db: Database) -> None:
    """Who opened a study's invite link (the "invited" count of ``matang study status``).

    Rows go with the respondent (``on delete cascade``), so ``/delete`` leaves no trace here.
    """
    db.execute(
        "create table invites ("
        " study_code text not null references studies(code),"
        " respondent_id integer not null references respondents(id) on delete cascade,"
        " first_at text not null,"
        " primary key (study_code, respondent_id))"
    )


# The tables m003 rebuilds, as m001 made them but with AUTOINCREMENT, and their indexes.
M003_TABLES = {
    "respondents": (
        'CREATE TABLE "respondents" (\n'
        '   "id" INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '   "channel" TEXT,\n'
        '   "external_id" TEXT,\n'
        '   "name" TEXT,\n'
        '   "username" TEXT,\n'
        '   "lang" TEXT,\n'
        '   "created_at" TEXT\n'
        ")",
        ['CREATE UNIQUE INDEX "idx_respondents_channel_external_id" ON "respondents" ("channel", "external_id")'],
    ),
    "sessions": (
        'CREATE TABLE "sessions" (\n'
        '   "id" INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '   "respondent_id" INTEGER NOT NULL REFERENCES "respondents"("id"),\n'
        '   "study_code" TEXT REFERENCES "studies"("code"),\n'
        '   "organisation" TEXT,\n'
        '   "flow_id" TEXT NOT NULL,\n'
        '   "flow_version" TEXT NOT NULL,\n'
        '   "lang" TEXT NOT NULL,\n'
        '   "state" TEXT NOT NULL,\n'
        '   "cursor" TEXT,\n'
        '   "skipped" TEXT,\n'
        '   "draft" TEXT,\n'
        '   "channel" TEXT NOT NULL,\n'
        '   "chat_id" INTEGER,\n'
        '   "question_message_id" INTEGER,\n'
        '   "started_at" TEXT NOT NULL,\n'
        '   "updated_at" TEXT,\n'
        '   "finished_at" TEXT,\n'
        '   "assessment" TEXT,\n'
        '   "remind_at" TEXT,\n'
        '   "reminded_at" TEXT\n'
        ")",
        [
            'CREATE INDEX "idx_sessions_respondent_id_state" ON "sessions" ("respondent_id", "state")',
            'CREATE INDEX "idx_sessions_study_code" ON "sessions" ("study_code")',
            'CREATE INDEX "idx_sessions_remind_at" ON "sessions" ("remind_at")',
        ],
    ),
}


@migrations(transactional=False)
def m003_ids_never_reused(db: Database) -> None:
    """Respondent and session ids are never handed out again once deleted (AUTOINCREMENT).

    Without AUTOINCREMENT SQLite numbers a new row max(id) + 1, so after the newest respondent
    used /delete the next one got their number: an export made before the erasure and one made
    after showed two different people, and sessions, under one id (and the same REFI-QDA guids).

    SQLite cannot add AUTOINCREMENT to a table, so both tables are rebuilt the way its documentation
    says (create the new table, copy, drop the old, rename, recreate the indexes) in one
    transaction, with foreign keys off: with them on, dropping ``respondents`` would delete every
    invite (``on delete cascade``). ``PRAGMA foreign_keys`` cannot change inside a transaction, so
    this migration opens its own (``transactional=False``); the foreign keys are checked before it
    commits, and it does nothing when run again (say, after a crash before its record was written).
    Numbering continues after the highest id in the table: the ids of rows deleted before the
    upgrade are unknown, so the newest of them may be used once more.
    """
    todo = [name for name in M003_TABLES if "AUTOINCREMENT" not in _table_sql(db, name).upper()]
    if not todo:
        return
    if db.conn.in_transaction:
        raise sqlite3.OperationalError("m003 must run outside a transaction (it turns foreign keys off)")
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            for name in todo:
                _rebuild(db, name, *M003_TABLES[name])
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:  # rolled back: the database stays as it was
                raise sqlite3.IntegrityError(f"m003: {len(broken)} row(s) fail their foreign key, first {broken[0]}")
    finally:
        if foreign_keys:
            db.execute("PRAGMA foreign_keys = ON")


def _table_sql(db: Database, name: str) -> str:
    row = db.execute("select sql from sqlite_master where type = 'table' and name = ?", [name]).fetchone()
    return row[0] if row else ""


def _rebuild(db: Database, name: str, create: str, indexes: list[str]) -> None:
    """Replace table ``name`` by ``create`` (same columns), keeping every row and its id."""
    new = f"{name}_m003"
    columns = [c[1] for c in db.execute(f'PRAGMA table_info("{name}")').fetchall()]
    db.execute(create.replace(f'CREATE TABLE "{name}"', f'CREATE TABLE "{new}"', 1))
    wanted = [c[1] for c in db.execute(f'PRAGMA table_info("{new}")').fetchall()]
    if columns != wanted:  # a schema this migration was not written for: stop, change nothing
        raise sqlite3.OperationalError(f"m003: {name} has columns {columns}, expected {wanted}")
    listed = ", ".join(f'"{c}"' for c in columns)
    db.execute(f'INSERT INTO "{new}" ({listed}) SELECT {listed} FROM "{name}"')
    db.execute(f'DROP TABLE "{name}"')  # its indexes go with it
    db.execute(f'ALTER TABLE "{new}" RENAME TO "{name}"')
    for index in indexes:
        db.execute(index)


@migrations()
def m004_updates_by_time(db: Database) -> None:
    """An index on ``updates.at``: the running bot forgets update ids older than a week every
    minute, and without the index each of those deletions reads the whole table."""
    db["updates"].create_index(["at"])


@migrations()
def m005_recordings(db: Database) -> None:
    """Voice answers: one row per recording kept in the files folder beside the database.

    ``part`` is the part of the answer the recording gives (1: the answer, 2: the follow-up to a
    probe). Rows go with their session (``on delete cascade``); the audio files are removed by
    :mod:`bot.recordings` once the erasure is committed.
    """
    db.execute(
        "create table recordings ("
        " id integer primary key,"
        " session_id integer not null references sessions(id) on delete cascade,"
        " question_id text not null,"
        " part integer not null default 1,"
        " file text not null unique,"
        " mime_type text not null,"
        " duration integer not null,"
        " size integer not null,"
        " sha256 text not null,"
        " recorded_at text not null,"
        " source_id text,"
        " transcript text"
        ")"
    )
    db.execute("create index recordings_by_session on recordings (session_id, question_id, part)")


def latest_known() -> list[str]:
    """Names of every migration this code knows, in order."""
    return [m.name for m in migrations._migrations]
