"""``csv``: the long format, one row per answer (the tidy shape R, pandas and SPSS read directly).

Columns: study, respondent (pseudonym), session, flow_id, flow_version, lang, question_id,
question_text, value, label, answered_at (ISO 8601 with offset), times_changed, session_status,
themes (the ids of the themes found in that answer, ``;``-separated; see scoring/data/themes.yaml),
recording_files and recording_seconds (a voice answer's audio files, space-separated, written
beside the CSV in ``<name>-audio/``, and their durations in seconds; a probe answered by voice has
its recording on the probe's row); identifying exports add the
respondent's channel, external id, name and username at the end.
Question texts and labels are in one language for the whole file (``--lang``, Indonesian by
default), whatever language each respondent answered in, so grouping by label works. The answer to
a probe (the follow-up of a thin open answer) is a row of its own with question_id
``<question>__probe`` and the probe's text. Text that a
spreadsheet would run as a formula gets a leading ``'`` unless the job is ``raw``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.research.exports.base import (
    FIRST_PART,
    ExportResult,
    Job,
    atomic_file,
    copy_study_audio,
    csv_writer,
    later_parts,
    of_part,
    value_text,
)
from bot.research.exports.themes import by_question, joined, session_themes

HEADER = [
    "study",
    "respondent",
    "session",
    "flow_id",
    "flow_version",
    "lang",
    "question_id",
    "question_text",
    "value",
    "label",
    "answered_at",
    "times_changed",
    "session_status",
    "themes",
    "recording_files",
    "recording_seconds",
]


def write(job: Job, out: Path) -> ExportResult:
    """Write the long CSV to ``out`` (``-`` for standard output)."""
    if str(out) == "-":
        return write_to(job, sys.stdout, out)
    with atomic_file(out, "w", newline="", encoding="utf-8") as fh:
        result = write_to(job, fh, out)
    copy_study_audio(job, out, result)
    return result


def session_rows(job: Job) -> Iterator[list[list[Any]]]:
    """For each session in turn, its long-format rows (the csv export and the xlsx ``long`` sheet)."""
    code = job.study.code
    for s, flow, answers in job.sessions_with_answers():
        lang = job.text_lang()  # one language for the whole file, so labels group across respondents
        ident = job.identity(s)
        head: list[Any] = [code, s.respondent, s.id, s.flow_id, s.flow_version, s.lang]
        view = job.view(flow)
        coded = by_question(session_themes(flow, {a.question_id: a.value for a in answers}))
        rows = []
        voices = job.recordings(s.id)
        for a in answers:
            if view is not None:
                text = view.text(a.question_id, lang)
                value, label = view.cells(a, lang)
            else:
                text, value, label = "", value_text(a.value), value_text(a.value)
            themes = joined(coded.get(a.question_id, ()))
            recs = voices.get(a.question_id, ())
            files, seconds = recording_cells(of_part(recs, FIRST_PART))
            rows.append(
                [
                    *head,
                    a.question_id,
                    text,
                    value,
                    label,
                    a.answered_at,
                    a.times_changed,
                    s.status,
                    themes,
                    files,
                    seconds,
                    *ident,
                ]
            )
            # A probe's answer is a row of its own under <question>__probe, as in the wide CSV, with
            # the recording that answered it (part 2); the themes stay on the question's row.
            for n, (column, prompt, part) in enumerate(later_parts(flow, a.question_id, a.value, lang), FIRST_PART + 1):
                pfiles, pseconds = recording_cells(of_part(recs, n))
                rows.append(
                    [*head, column, prompt, part, part, a.answered_at, a.times_changed, s.status, "", pfiles, pseconds,
                     *ident]
                )
        yield rows


def recording_cells(recs: list[Any]) -> tuple[str, str]:
    """The recording_files and recording_seconds cells: file names and durations, space-separated."""
    return " ".join(r.file for r in recs), " ".join(str(r.duration) for r in recs)


def write_to(job: Job, fh: IO[str], out: Path | str = "-") -> ExportResult:
    """Write the long CSV to an open text file."""
    writer = csv_writer(fh, job)
    writer.writerow(HEADER + job.identity_header())
    result = ExportResult("csv", [Path(out)], identify=job.identify, unit="answer row")
    for rows in session_rows(job):
        result.sessions += 1
        result.empty += not rows
        writer.writerows(rows)
        result.rows += len(rows)
    return result
