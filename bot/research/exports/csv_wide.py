"""``csv-wide``: one row per session, one column per question, and a codebook file beside it.

A multiple-choice question gets a column with the chosen values separated by spaces and, as in
ODK exports, one 0/1 column per choice (``platforms__instagram``). The codebook
(``<name>.codebook.csv``) lists every column: the question id, its type, its text in both
languages, and each choice value with its labels in both languages. As in the long CSV, text
that a spreadsheet would run as a formula gets a leading ``'`` unless the job is ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.research.exports.base import (
    ExportResult,
    Job,
    atomic_file,
    csv_writer,
    duration_minutes,
    value_text,
)

META = [
    ("study", "study code"),
    ("respondent", "pseudonymous respondent id (keyed hash)"),
    ("session", "session id"),
    ("organisation", "the respondent's organisation (fixed by the study or answered)"),
    ("flow_id", "interview flow id"),
    ("flow_version", "interview flow version"),
    ("lang", "language of the interview (id or en)"),
    ("session_status", "finished, partial (not finished yet), withdrawn, or declined (consent refused)"),
    ("started_at", "start time, ISO 8601 with offset"),
    ("finished_at", "finish time, ISO 8601 with offset (empty when not finished)"),
    ("duration_minutes", "minutes from start to finish, pauses included"),
    ("level", "maturity level (1-5) of the assessment made at the finish"),
]
CODEBOOK_HEADER = ["column", "question_id", "type", "section", "text_id", "text_en", "value", "label_id", "label_en"]


def codebook_path(out: Path) -> Path:
    """Where the codebook of a wide CSV goes: beside it, ``<stem>.codebook.csv``."""
    return out.with_name(f"{out.stem}.codebook.csv")


def question_columns(flow: Any) -> list[tuple[str, str, str | None]]:
    """(column, question id, choice value or None) for every answerable question of a flow."""
    columns: list[tuple[str, str, str | None]] = []
    if flow is None:
        return columns
    for q in flow.questions:
        if not q.answerable:
            continue
        columns.append((q.id, q.id, None))
        if q.type == "multiple_choice":
            columns += [(f"{q.id}__{c.value}", q.id, c.value) for c in q.choices]
    return columns


def header(job: Job) -> list[str]:
    """The wide header: session columns, question columns, identity columns."""
    return [m for m, _ in META] + [c for c, _, _ in question_columns(job.study_flow())] + job.identity_header()


def rows(job: Job) -> Iterator[tuple[list[Any], int]]:
    """Each session as a wide row, with its number of answers."""
    columns = question_columns(job.study_flow())
    code = job.study.code
    for s, _flow, answers in job.sessions_with_answers():
        values = {a.question_id: a.value for a in answers}
        row: list[Any] = [
            code,
            s.respondent,
            s.id,
            s.organisation or "",
            s.flow_id,
            s.flow_version,
            s.lang,
            s.status,
            s.started_at,
            s.finished_at or "",
            duration_minutes(s),
            s.level if s.level is not None else "",
        ]
        for _column, qid, choice in columns:
            value = values.get(qid)
            if choice is None:
                row.append(value_text(value))
            elif isinstance(value, list):
                row.append(1 if choice in value else 0)
            else:
                row.append("")
        yield row + job.identity(s), len(answers)


def codebook_rows(job: Job) -> Iterator[list[Any]]:
    """The codebook: every column of the wide data, with texts and choice labels in both languages."""
    for column, text in META:
        yield [column, "", "meta", "", text, text, "", "", ""]
    flow = job.study_flow()
    if flow is None:
        return
    for q in flow.questions:
        if not q.answerable:
            continue
        yield [q.id, q.id, q.type, q.section, q.text.id, q.text.en, "", "", ""]
        if q.type == "multiple_choice":
            for c in q.choices:
                yield [
                    f"{q.id}__{c.value}",
                    q.id,
                    "indicator",
                    q.section,
                    q.text.id,
                    q.text.en,
                    "1",
                    c.label.id,
                    c.label.en,
                ]
        else:
            for c in q.choices:
                yield [q.id, q.id, "choice", q.section, "", "", c.value, c.label.id, c.label.en]
        if q.type == "scale":
            for p in q.scale_points():
                low = q.min_label if p == q.min else q.max_label if p == q.max else None
                yield [q.id, q.id, "point", q.section, "", "", str(p), low.id if low else "", low.en if low else ""]
        if q.dont_know:
            yield [q.id, q.id, "dont_know", q.section, "", "", "dont_know", "Tidak tahu", "Don't know"]
    for column in job.identity_header():
        yield [column, "", "identity", "", "identitas responden", "respondent identity", "", "", ""]


def write(job: Job, out: Path) -> ExportResult:
    """Write the wide CSV to ``out`` and its codebook beside it."""
    book = codebook_path(out)
    result = ExportResult("csv-wide", [out, book], identify=job.identify, unit="session row")
    with atomic_file(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv_writer(fh, job)
        writer.writerow(header(job))
        for row, _n in rows(job):
            writer.writerow(row)
            result.sessions += 1
            result.rows += 1
    with atomic_file(book, "w", newline="", encoding="utf-8") as fh:
        writer = csv_writer(fh, job)
        writer.writerow(CODEBOOK_HEADER)
        writer.writerows(codebook_rows(job))
    return result
