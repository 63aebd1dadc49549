"""The ``matang`` command line: a thin layer that parses arguments and calls library functions.

Sub-commands are imported only when they run, so ``matang --help`` and ``--version`` stay fast.
Exit codes: 0 success; 2 bad input (one clear line on standard error); 1 anything unexpected.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

# name -> "module:attribute" of a click command; imported on first use.
COMMANDS = {
    "interview": "bot.commands.interview:interview",
    "flows": "bot.commands.flows:flows",
    "score": "bot.commands.score:score",
    "run": "bot.telegram.command:run",
    "study": "bot.commands.research:study",
    "export": "bot.commands.research:export",
    "report": "bot.commands.research:report",
    "chart": "bot.commands.research:chart",
    "dashboard": "bot.commands.research:dashboard",
    "delete": "bot.commands.admin:delete",
    "backup": "bot.commands.admin:backup",
    "health": "bot.commands.admin:health",
}
SUMMARIES = {
    "interview": "Take the interview in the terminal (scriptable from standard input).",
    "flows": "List, show, validate, diagram interview flows; print the flow JSON Schema.",
    "score": "Assess a file of answers (YAML or JSON) without an interview.",
    "run": "Run the Telegram bot (long polling, or webhook with --webhook-url).",
    "study": "Create, list, inspect and close studies with invite links.",
    "export": "Export a study's interviews (csv, csv-wide, xlsx, jsonl, transcripts, qdpx, sqlite).",
    "report": "Write a PDF report for a session or a study.",
    "chart": "Draw a session's or an organisation's profile chart as PNG or SVG.",
    "dashboard": "Serve the research dashboard (Datasette) in the browser, behind a secret.",
    "delete": "Erase a respondent's answers, events and sessions.",
    "backup": "Write a consistent copy of the database while the bot runs.",
    "health": "Check the database and, with a token, the Bot API.",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported when used, not at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing summaries from a table keeps --help from importing every command.
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUMMARIES[name]) for name in COMMANDS])


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matang")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0+unknown"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # Looked up only when asked: importlib.metadata was half the time of every `matang --help`.
    if value and not ctx.resilient_parsing:
        click.echo(f"matang, version {_version()}")
        ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
def cli() -> None:
    """Matang: interviews that measure the open-government maturity of a social-media unit."""


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``matang`` console script.

    A write refused by the storage (a full disk, a read-only file) ends any command with one line
    on standard error and exit 1, not a traceback; see :mod:`bot.faults`.
    """
    try:
        return cli.main(args=argv, prog_name="matang")
    except Exception as exc:
        # Imported only here: `matang --help` and every command stay free of the import.
        from bot.faults import storage_fault, storage_fault_line

        if storage_fault(exc) is None:
            raise
        print(f"matang: {storage_fault_line(exc)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
