"""``xlsx``: one workbook with the long data, the wide data, the codebook, the assessments and the
event log, one sheet each (openpyxl's write-only mode, which streams rows to disk).

A sheet holds at most 1,048,576 rows; longer data continues on ``long (2)``, ``long (3)``…
Text is stored as text, never as a formula or an error value, whatever it starts with (``=``,
``#N/A``), so no ``'`` is added as in the CSV exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.research.exports import csv_long, csv_wide
from bot.research.exports.base import (
    ExportResult,
    Job,
    atomic_file,
    copy_study_audio,
)

MAX_ROWS = 1_048_576
ASSESSMENT_HEADER = [
    "study",
    "respondent",
    "session",
    "organisation",
    "session_status",
    "level",
    "level_name",
    "capability_level",
    "outcome_level",
    "confidence",
    "blocking",
    "themes",
    "suggestions",
    "consistency",
]
EVENT_HEADER = [
    "study",
    "respondent",
    "session",
    "seq",
    "at",
    "kind",
    "question_id",
    "old_value",
    "new_value",
    "detail",
]


class _Sheets:
    """Appends rows to a sheet, continuing on a new sheet when one is full."""

    def __init__(self, wb: Any, title: str, header: list[str], max_rows: int = MAX_ROWS) -> None:
        self.wb, self.title, self.header, self.max_rows = wb, title, header, max_rows
        self.part = 0
        self._new()

    def _new(self) -> None:
        from openpyxl.utils import get_column_letter

        self.part += 1
        self.ws = self.wb.create_sheet(self.title if self.part == 1 else f"{self.title} ({self.part})")
        self.ws.freeze_panes = "A2"
        for i, name in enumerate(self.header, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(name) + 2))
        self.ws.append(self.header)
        self.count = 1

    def append(self, row: Iterable[Any]) -> None:
        if self.count >= self.max_rows:
            self._new()
        self.ws.append([self._cell(v) for v in row])
        self.count += 1

    def _cell(self, value: Any) -> Any:
        # openpyxl reads a str starting with "=" as a formula and one such as "#N/A" as an error
        # value; an answer is text whatever it starts with. (No "'" as in the CSV exports: a text
        # cell is never evaluated, so the text stays exactly as typed.)
        if isinstance(value, str) and value[:1] in ("=", "#"):
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(self.ws, value=value)
            cell.data_type = "s"
            return cell
        return value


def write(job: Job, out: Path, max_rows: int = MAX_ROWS) -> ExportResult:
    """Write the workbook to ``out``."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    result = ExportResult("xlsx", [out], identify=job.identify, unit="answer row")
    code = job.study.code
    ident = job.identity_header()

    long = _Sheets(wb, "long", csv_long.HEADER + ident, max_rows)
    for rows in csv_long.session_rows(job):
        for row in rows:
            long.append(row)
        result.rows += len(rows)
        result.empty += not rows

    wide = _Sheets(wb, "wide", csv_wide.header(job), max_rows)
    for row, _n in csv_wide.rows(job):
        wide.append(row)
        result.sessions += 1

    book = _Sheets(wb, "codebook", csv_wide.CODEBOOK_HEADER, max_rows)
    for row in csv_wide.codebook_rows(job):
        book.append(row)

    criteria = _criteria_ids()
    assessments = _Sheets(
        wb,
        "assessments",
        ASSESSMENT_HEADER + [f"{c}.rating" for c in criteria] + [f"{c}.fulfilment" for c in criteria] + ident,
        max_rows,
    )
    for s in job.sessions(assessment=True):
        a = s.assessment
        if not a:
            continue
        by_id = {c["id"]: c for c in a.get("criteria", [])}
        lang = job.text_lang()
        assessments.append(
            [
                code,
                s.respondent,
                s.id,
                s.organisation or "",
                s.status,
                a["level"],
                a["level_name"].get(lang, ""),
                a["profile"]["capability"],
                a["profile"]["outcome"],
                a["confidence"],
                " ".join(b["id"] for b in a.get("blocking", [])),
                ";".join(t["id"] for t in a.get("themes", [])),
                ";".join(str(x.get("addresses") or x.get("criterion") or "") for x in a.get("suggestions", [])),
                ";".join(c["id"] for c in a.get("consistency", [])),
                *[(by_id.get(c) or {}).get("rating") or "" for c in criteria],
                *[_blank((by_id.get(c) or {}).get("fulfilment")) for c in criteria],
                *job.identity(s),
            ]
        )

    events = _Sheets(wb, "events", EVENT_HEADER + ident, max_rows)
    for s, log in job.sessions_with_events():
        for n, e in enumerate(log, 1):
            events.append(
                [
                    code,
                    s.respondent,
                    s.id,
                    n,
                    e.at,
                    e.kind,
                    e.question_id or "",
                    e.old_json or "",
                    e.new_json or "",
                    e.detail or "",
                    *job.identity(s),
                ]
            )

    with atomic_file(out, "wb") as fh:
        wb.save(fh)
    copy_study_audio(job, out, result)
    return result


def _criteria_ids() -> list[str]:
    from scoring.criteria import load_model

    return [c.id for c in load_model().criteria]


def _blank(value: Any) -> Any:
    return "" if value is None else value
