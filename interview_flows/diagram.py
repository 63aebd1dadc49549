"""A flow drawn as a Mermaid flowchart: the order of questions and where skip logic branches."""

from __future__ import annotations

from interview_flows.schema import Flow, Question


def _label(text: str, limit: int = 60) -> str:
    text = text.replace('"', "'").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _thin(q: Question, lang: str) -> str:
    probe = q.probe
    assert probe is not None
    return f"jawaban < {probe.min_words} kata" if lang == "id" else f"answer < {probe.min_words} words"


def mermaid(flow: Flow, lang: str = "id") -> str:
    """Mermaid source: one node per question grouped by section; an edge from each question to the
    next one always asked, and dashed edges labelled with the condition to conditional questions.
    A probe is a hexagon beside its question, reached by a dashed edge when the answer is thin.

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
                if q.probe is not None:
                    lines.append(f'    {q.id}__probe{{{{"probe: {_label(q.probe.text.get(lang))}"}}}}')
        lines.append("  end")
    # Every path ends at the final check, where the answers are reviewed, changed or sent.
    lines.append('  check{{"check: review, change or send"}}')
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
        if q.probe is not None:
            # Asked once, only after a thin answer; the interview goes on from either node.
            lines.append(f'  {q.id} -. "{_thin(q, lang)}" .-> {q.id}__probe')
            previous = [*previous, f"{q.id}__probe"]
    for p in previous:
        lines.append(f"  {p} --> check")
    lines.append('  check -- "send" --> finish')
    return "\n".join(lines)


__all__ = ["mermaid"]
