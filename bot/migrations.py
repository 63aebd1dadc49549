"""The database schema, as sqlite-utils migrations. Add a new function for every change; never edit one."""

from __future__ import annotations

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


def latest_known() -> list[str]:
    """Names of every migration this code knows, in order."""
    return [m.name for m in migrations._migrations]
