"""Exports of a study's interviews for analysis elsewhere, one module per format.

>>> sorted(FORMATS)
['csv', 'csv-wide', 'jsonl', 'qdpx', 'sqlite', 'transcripts', 'xlsx']

Every format streams: one session's rows are in memory at a time, so a study of 100,000
interviews exports in the same memory as a study of 100. Pseudonymous unless ``identify``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from bot.research.exports.base import ExportError, ExportResult, Job, snapshot

FORMATS = {
    "csv": ("bot.research.exports.csv_long", "long CSV, one row per answer"),
    "csv-wide": ("bot.research.exports.csv_wide", "wide CSV, one row per session, with a codebook beside it"),
    "xlsx": ("bot.research.exports.xlsx", "Excel workbook: long, wide, codebook, assessments, events"),
    "jsonl": ("bot.research.exports.jsonl", "JSON lines: every event of every session, in order"),
    "transcripts": ("bot.research.exports.transcripts", "one Markdown transcript per session (directory or .zip)"),
    "qdpx": ("bot.research.exports.qdpx", "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder"),
    "sqlite": ("bot.research.exports.sqlite", "pseudonymised analysis database (what `matang dashboard` serves)"),
}
SUFFIXES = {
    "csv": ".csv",
    "csv-wide": ".csv",
    "xlsx": ".xlsx",
    "jsonl": ".jsonl",
    "transcripts": ".zip",
    "qdpx": ".qdpx",
    "sqlite": ".db",
}


def export_study(
    store: object,
    code: str,
    fmt: str,
    out: str | Path,
    *,
    identify: bool = False,
    lang: str | None = None,
    raw: bool = False,
) -> ExportResult:
    """Export study ``code`` as ``fmt`` to ``out`` and say what was written.

    CSV cells that a spreadsheet would run as a formula get a leading ``'`` unless ``raw``
    (see :func:`~bot.research.exports.base.spreadsheet_text`); other formats ignore ``raw``.

    Raises :class:`~bot.research.studies.StudyError` for an unknown study and
    :class:`ExportError` for an unknown format.

    >>> from bot.store import Store
    >>> from bot.research.studies import create_study
    >>> store = Store.open(":memory:")
    >>> _ = create_study(store, "Demo", code="demo01")
    >>> export_study(store, "demo01", "csv", "-").sessions   # doctest: +ELLIPSIS
    study,respondent,session,...
    0
    """
    from bot.research.studies import get_study

    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    study = get_study(store, code)  # type: ignore[arg-type]
    module = importlib.import_module(FORMATS[fmt][0])
    job = Job(store, study, identify=identify, lang=lang, raw=raw)  # type: ignore[arg-type]
    with snapshot(store):  # type: ignore[arg-type]
        return module.write(job, Path(out))


__all__ = ["FORMATS", "SUFFIXES", "ExportError", "ExportResult", "Job", "export_study"]
