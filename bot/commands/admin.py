"""``matang health``, ``matang backup`` and ``matang delete``: the operator's commands.

Each parses its options, calls one library function (:mod:`bot.health`, :mod:`bot.backup`,
:func:`erase_respondent`) and prints the result.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from bot.commands.common import db_option, fail, open_store, settings


@click.command()
@db_option
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait for the Bot API.")
def health(db: Path | None, timeout: float) -> None:
    """Check the database and, when MATANG_TELEGRAM_TOKEN is set, the Bot API.

    One line per check (ok, FAIL or skip); exit 0 when none failed, 1 otherwise. Never creates
    or migrates the database. Run it as the bot's user.
    """
    from pydantic import ValidationError

    from bot.health import Check, check_database, healthy, run_checks
    from bot.settings import describe_settings_error, load_settings

    try:
        conf = load_settings(db=db)
    except ValidationError as exc:
        # Still check the database the bot would use, so the report is as complete as it can be.
        checks = [Check("configuration", "fail", describe_settings_error(exc))]
        checks += check_database(db or os.environ.get("MATANG_DB") or "matang.db")
    else:
        checks = run_checks(conf, timeout=timeout)
    for check in checks:
        click.echo(check.line())
    sys.exit(0 if healthy(checks) else 1)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@db_option
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup(path: Path, db: Path | None, force: bool) -> None:
    """Write a consistent copy of the database to PATH while the bot runs.

    PATH may be a directory: the copy is then named matang-YYYYMMDD-HHMMSS.db (UTC). The copy is
    readable by its owner only. Restore: stop the bot, copy the file back over the database
    (removing any -wal and -shm files beside it), start the bot.
    """
    from bot.backup import BackupError, backup_database

    conf = settings(db=db)
    try:
        result = backup_database(conf.db, path, force=force)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{path}: cannot write the backup ({exc.strerror or exc})")
    click.echo(result.summary())


@dataclass
class Erasure:
    """What :func:`erase_respondent` removed."""

    respondent_id: int
    who: str
    sessions: int
    answers: int
    events: int
    scrubbed: bool = False
    recordings: int = 0
    """Voice answers whose audio files go too (see :mod:`bot.recordings`)."""
    """The erased pages have left the database files (False: a reader still held them; see
    ``Store.delete_respondent``)."""


class RespondentNotFound(LookupError):
    """No respondent matches the reference given."""


def find_respondent(store: Any, ref: str) -> dict[str, Any]:
    """The respondent row for ``ref``: an internal id (``12``) or ``channel:external id``
    (``telegram:123456789``, ``terminal:sari``). Raises :class:`RespondentNotFound`."""
    ref = ref.strip()
    if ref.isdecimal():  # not isdigit: "²" is a digit int() refuses
        row = store.respondent_row(int(ref))
    elif ":" in ref:
        channel, external = ref.split(":", 1)
        row = next(store.db.query(
            "select * from respondents where channel = ? and external_id = ?", [channel.strip(), external.strip()]
        ), None)
    else:
        raise RespondentNotFound(f"{ref!r} is neither a respondent id nor channel:id (e.g. telegram:123456789)")
    if row is None:
        raise RespondentNotFound(f"no respondent {ref}")
    return row


def describe_respondent(store: Any, row: dict[str, Any]) -> Erasure:
    """What erasing this respondent would remove (nothing is changed)."""
    ids = store.sessions_of(row["id"])
    marks = ",".join("?" * len(ids)) or "null"
    answers = next(store.db.query(f"select count(*) n from answers where session_id in ({marks})", ids))["n"]
    events = next(store.db.query(f"select count(*) n from events where session_id in ({marks})", ids))["n"]
    from bot.recordings import files_of_respondent

    return Erasure(row["id"], f"{row['channel']}:{row['external_id']}", len(ids), answers, events,
                   recordings=len(files_of_respondent(store.db, row["id"])))


def erase_respondent(store: Any, ref: str, *, wait: float = 0.0) -> Erasure:
    """Erase the respondent ``ref`` (see :func:`find_respondent`) with ``Store.delete_respondent``:
    answers, events, sessions and the respondent, scrubbed from the file (secure_delete, WAL
    checkpoint), waiting up to ``wait`` seconds for readers of an older snapshot to let go."""
    plan = describe_respondent(store, find_respondent(store, ref))
    store.delete_respondent(plan.respondent_id, wait=wait)
    plan.scrubbed = store.scrub_pending() is None
    return plan


SCRUB_PENDING_NOTE = (
    "the erased rows are gone from every query and export, but a reader that started before the "
    "erasure (an export or a backup under way) still holds their pages, so their bytes stay in "
    "{db} and its -wal until it ends; then the running bot overwrites them within a minute, and so "
    "does the next matang command on this database"
)


@click.command()
@click.option("--respondent", "ref", required=True, metavar="ID",
              help="The respondent: internal id, or telegram:<Telegram user id>.")
@db_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", type=click.FloatRange(0, 3600), default=10.0, show_default=True, metavar="SECONDS",
              help="How long to wait for an export or backup under way to let go of the erased pages.")
def delete(ref: str, db: Path | None, yes: bool, wait: float) -> None:
    """Erase a respondent: answers, voice recordings (and their audio files), events, sessions and
    the respondent record.

    The erased rows are overwritten in the database file and its WAL, not merely unlinked. An
    export or backup under way holds the old pages until it ends: the command waits for it
    (--wait) and otherwise says so; the pages are then overwritten at the next checkpoint.
    Backups made earlier still hold the rows: delete or re-make those too.
    """
    from bot.health import give_back_sidecars

    conf = settings(db=db)
    if not Path(conf.db).is_file():
        fail(f"{conf.db}: no database there")
    with open_store(conf.db) as store:
        try:
            plan = describe_respondent(store, find_respondent(store, ref))
        except RespondentNotFound as exc:
            fail(str(exc))
        summary = (f"respondent {plan.respondent_id} ({plan.who}): {plan.sessions} session(s), "
                   f"{plan.answers} answer(s), {plan.events} event(s)"
                   + (f", {plan.recordings} voice recording(s) and their audio files" if plan.recordings else ""))
        if not yes:
            if not sys.stdin.isatty():
                fail(f"would erase {summary}; add --yes to erase without a question")
            click.confirm(f"Erase {summary}?", abort=True)
        store.delete_respondent(plan.respondent_id, wait=wait)
        scrubbed = store.scrub_pending() is None
    give_back_sidecars(conf.db)
    click.echo(f"erased {summary}")
    if not scrubbed:
        click.echo("matang: note: " + SCRUB_PENDING_NOTE.format(db=conf.db), err=True)
