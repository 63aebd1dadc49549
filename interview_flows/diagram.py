"""A flow drawn as a Mermaid flowchart: the order of questions and where skip logic branches."""

from __future__ import annotations

from interview_flows.schema import Flow


def _label(text: str, limit: int = 60) -> str:
    text = text.replace('"', "'").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mermaid(flow: Flow, lang: str = "id") -> str:
    """Mermaid source: one node per question grouped by section; an edge from each question to the
    next one always asked, and dashed edges labelled with the condition to conditional questions.

    >>> from interview_flows.loader import load_flow
    >>> mermaid(load_flow("ogmm-social-media")).splitlines()[0]
    'flowchart TD'
    """
    lines = ["flowchart TD", '  start(["start"])']
    for section in flow.sections:
        lines.append(f'  subgraph {section.id}["{_label(section.title.get(lang))}"]')
        for q in flow.questions:
            if q.section == section.id:
                shape = ('["', '"]') if q.answerable else ('[/"', '"/]')
                lines.append(f"    {q.id}{shape[0]}{q.id}: {_label(q.text.get(lang))}{shape[1]}")
        lines.append("  end")
    lines.append('  finish(["finish"])')
    previous = ["start"]
    for q in flow.questions:
        if q.relevant:
            for p in previous:
                lines.append(f'  {p} -. "{_label(q.relevant, 40)}" .-> {q.id}')
            previous = [*previous, q.id]
        else:
            for p in previous:
                lines.append(f"  {p} --> {q.id}")
            previous = [q.id]
    for p in previous:
        lines.append(f"  {p} --> finish")
    return "\n".join(lines)


__all__ = ["mermaid"]
