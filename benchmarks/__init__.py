"""Benchmarks: ``python -m benchmarks [NAME…] [--quick]`` (see ``benchmarks/__main__.py``)."""

from __future__ import annotations

from collections.abc import Iterable


def print_rows(rows: Iterable[tuple[str, object]]) -> None:
    """Print ``(label, value)`` rows as a two-column table: labels left, values right."""
    rows = list(rows)
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        print(f"{label:<{width}}{value!s:>12}")
