"""What the answers mean: the maturity model as data, ratings, the level rule, suggestions,
several respondents combined, and the result in words.

Pure: data in, data out (no files written, no network, no database). The names below are
imported on first use, so ``import scoring`` stays cheap::

    from scoring import assess, combine, render_text, score_answers
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "assess": "scoring.assessment",
    "Assessment": "scoring.assessment",
    "combine": "scoring.organisation",
    "OrganisationAssessment": "scoring.organisation",
    "read_answers": "scoring.answer_file",
    "score_answers": "scoring.answer_file",
    "render_text": "scoring.narrative",
    "rating_for": "scoring.ratings",
}

__all__ = sorted([*_EXPORTS, "build"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    return getattr(import_module(module), name)


def build() -> str:
    """How the assessment runs here: ``"mypyc"`` (compiled, as a wheel installs it) or ``"python"``.

    ``pip install .`` and the Docker image compile the assessment's modules; an editable install
    (``pip install -e .``) and a build without a C compiler keep them plain (setup.py).
    """
    from importlib.util import find_spec

    spec = find_spec("scoring.assessment")
    origin = spec.origin if spec is not None and spec.origin else ""
    return "python" if origin.endswith(".py") else "mypyc"
