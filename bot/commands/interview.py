"""``matang interview``: the interview in a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.commands.common import db_option, fail, lang_option, open_store, resolve_flow, settings


@click.command()
@lang_option
@click.option("--flow", "flow_id", default=None, help="Flow id or flow file [default: $MATANG_FLOW].")
@db_option
@click.option("--new", is_flag=True, help="Start another interview instead of resuming the unfinished one.")
@click.option("--study", "study_code", default=None, help="Take part in a study (its invite code).")
@click.option("--user", default=None, help="Respondent name on this computer [default: the login name].")
def interview(
    lang: str | None, flow_id: str | None, db: Path | None, new: bool, study_code: str | None, user: str | None
) -> None:
    """Take the interview in the terminal.

    When standard input is not a terminal, each line answers the current question: a choice by
    its number or value, several choices separated by commas, free text as typed, an empty line
    to skip where allowed; commands as words (back, skip, review, edit <number>, pause).
    """
    from bot.terminal import TerminalInterview

    conf = settings(db=db, lang=lang)
    flow = resolve_flow(flow_id or conf.flow)
    with open_store(conf.db) as store:
        organisation = None
        if study_code:
            from bot.research.studies import StudyError, open_study

            try:
                study = open_study(store, study_code)
            except StudyError as exc:
                fail(str(exc))
            flow = resolve_flow(study.flow_id) if study.flow_version is None else _study_flow(study)
            organisation = study.organisation
        run = TerminalInterview(
            store,
            flow,
            conf.lang,
            stdin=sys.stdin,
            stdout=sys.stdout,
            user=user,
            study_code=study_code,
            organisation=organisation,
        )
        run.run(new=new)


def _study_flow(study: object) -> object:
    from interview_flows.loader import load_flow

    return load_flow(study.flow_id, study.flow_version)  # type: ignore[attr-defined]
