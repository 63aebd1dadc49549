"""``matang flows``: inspect and check interview flows."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.commands.common import fail, resolve_flow


@click.group()
def flows() -> None:
    """List, show, validate and draw interview flows; print the JSON Schema of the format."""


@flows.command("list")
def list_flows() -> None:
    """The flows that ship with Matang: id, version, questions, minutes, title."""
    from interview_flows.loader import load_flow, packaged_flow_ids

    for flow_id in packaged_flow_ids():
        f = load_flow(flow_id)
        answerable = sum(1 for q in f.questions if q.answerable)
        click.echo(
            f"{f.id}\t{f.version}\t{answerable} questions\t~{f.estimated_minutes} min\t{f.title.id} / {f.title.en}"
        )


@flows.command("show")
@click.argument("flow_id")
@click.option("--json", "as_json", is_flag=True, help="The whole flow as JSON.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", help="Language of the plain listing.")
def show(flow_id: str, as_json: bool, lang: str) -> None:
    """Show a flow (by id, or a flow file path): questions with types, choices and conditions."""
    flow = resolve_flow(flow_id)
    if as_json:
        click.echo(json.dumps(flow.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2))
        return
    click.echo(f"{flow.id} {flow.version}: {flow.title.get(lang)} (~{flow.estimated_minutes} min)")
    section = None
    for q in flow.questions:
        if q.section != section:
            section = q.section
            click.echo(f"\n[{section}] {flow.section(section).title.get(lang)}")
        flags = (
            [q.type]
            + (["optional"] if not q.required and q.answerable else [])
            + (["don't know"] if q.dont_know else [])
        )
        click.echo(f"  {q.id} ({', '.join(flags)}): {q.text.get(lang)}")
        if q.relevant:
            click.echo(f"      if {q.relevant}")
        for c in q.choices:
            ev = ", ".join(f"{k}={v:g}" for k, v in c.evidence.items())
            click.echo(f"      - {c.value}: {c.label.get(lang)}" + (f"  [{ev}]" if ev else ""))


@flows.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def validate(path: Path) -> None:
    """Check a flow file; exit 0 when valid, or 2 with every problem and its path."""
    from interview_flows.loader import FlowError, load_flow_file
    from scoring.criteria import criterion_ids

    try:
        f = load_flow_file(path, criterion_ids())
    except FlowError as exc:
        for issue in exc.issues:
            click.echo(f"{exc.source}: {issue}", err=True)
        fail(f"{exc.source}: {len(exc.issues)} problem(s)")
    click.echo(f"{path}: valid ({f.id} {f.version}, {len(f.questions)} questions)")


@flows.command("schema")
def schema() -> None:
    """The JSON Schema of the flow format (for editors that check YAML as you type)."""
    from interview_flows.schema import Flow

    click.echo(json.dumps(Flow.model_json_schema(), ensure_ascii=False, indent=2))


@flows.command("diagram")
@click.argument("flow_id")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id")
def diagram(flow_id: str, lang: str) -> None:
    """The flow as a Mermaid flowchart: questions in order, skip logic on the edges."""
    from interview_flows.diagram import mermaid

    click.echo(mermaid(resolve_flow(flow_id), lang))
