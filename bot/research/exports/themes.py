"""The themes of a session for the exports: the same matcher as the assessment (scoring.themes),
over the same effective answers, so every format codes the same words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def session_themes(flow: Any, answers: Mapping[str, Any]) -> tuple[Any, ...]:
    """The themes of one session's effective answers (question id to value); () without a flow."""
    if flow is None:
        return ()
    from scoring.themes import find_themes

    return find_themes(flow, answers)


def by_question(themes: Iterable[Any]) -> dict[str, list[str]]:
    """Question id to the ids of the themes found in its answer, in codebook order."""
    out: dict[str, list[str]] = {}
    for t in themes:
        for qid in t.questions:
            out.setdefault(qid, []).append(t.id)
    return out


def joined(ids: Iterable[str]) -> str:
    """Theme ids as one cell: ``staffing;approval`` (empty when none)."""
    return ";".join(ids)
