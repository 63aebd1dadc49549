"""What the commands share: settings, opening the database, and clean failure lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from bot.settings import Settings, describe_settings_error, load_settings


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to standard error and exit (2: bad input)."""
    click.echo(f"matang: {message}", err=True)
    sys.exit(code)


def settings(**overrides: Any) -> Settings:
    """Settings, or exit 2 naming the bad variable."""
    from pydantic import ValidationError

    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        fail(describe_settings_error(exc))


@contextmanager
def open_store(db: Path | str) -> Iterator[Any]:
    """Open the database, or exit 2 with the reason on one line."""
    from bot.store import Store, StoreError

    try:
        store = Store.open(db)
    except StoreError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{db}: cannot open the database ({exc.strerror or exc})")
    try:
        yield store
    finally:
        store.close()


def resolve_flow(flow_id: str) -> Any:
    """A packaged flow by id, or a flow file by path; exit 2 when neither works."""
    from interview_flows.loader import FlowError, load_named_flow, packaged_flow_ids
    from scoring.criteria import criterion_ids

    try:
        return load_named_flow(flow_id, criterion_ids())
    except KeyError:
        fail(f"unknown flow {flow_id!r}; known flows: {', '.join(packaged_flow_ids())}")
    except FlowError as exc:
        first = exc.issues[0] if exc.issues else "invalid"
        fail(f"{exc.source}: {first} ({len(exc.issues)} problem(s); see `matang flows validate`)")


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database file [default: $MATANG_DB or matang.db].",
)
lang_option = click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default=None,
    help="Language [default: $MATANG_LANG or id].",
)
