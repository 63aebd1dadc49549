"""``matang score FILE``: assess a file of answers without an interview."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.commands.common import fail, lang_option, resolve_flow, settings


def read_answers_file(path: Path) -> object:
    """The parsed content of a YAML or JSON answers file; exit 2 naming the file when unreadable."""
    import yaml

    from interview_flows.yaml_text import safe_load

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the answers file ({exc.__class__.__name__}: {exc})")
    try:
        return safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        fail(f"{path}: {where}: not valid YAML or JSON ({getattr(exc, 'problem', None) or exc})")


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--flow", "flow_id", default=None, help="Flow id or flow file [default: $MATANG_FLOW].")
@click.option("--json", "as_json", is_flag=True, help="The assessment as JSON (the shared shape).")
@lang_option
def score(file: Path, flow_id: str | None, as_json: bool, lang: str | None) -> None:
    """Assess FILE, a YAML or JSON mapping of question id to answer, without an interview.

    An unknown question or an invalid answer stops with exit 2 and one line per problem.
    """
    from scoring.answer_file import score_answers

    conf = settings(lang=lang)
    flow = resolve_flow(flow_id or conf.flow)
    data = read_answers_file(file)
    assessment, problems = score_answers(flow, data, conf.lang)
    if assessment is None:
        for problem in problems:
            click.echo(f"{file}: {problem}", err=True)
        fail(f"{file}: {len(problems)} problem(s); nothing was assessed")
    if as_json:
        click.echo(json.dumps(assessment.to_dict(), ensure_ascii=False, indent=2))
    else:
        from scoring.narrative import render_text

        click.echo(render_text(assessment, conf.lang, flow))
