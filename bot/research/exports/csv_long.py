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
    FORMULA_STARTS,
    AnswerRow,
    CsvCells,
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


def session_lines(job: Job) -> Iterator[tuple[str, int]]:
    """For each session in turn, its rows of :func:`session_rows` as CSV text, and how many.

    The same cells, neutralised the same way and written as ``csv.writer`` writes them; but what
    is the same on every row of a session (study, respondent, session, status) is written once
    per session, and what recurs across sessions (question ids and texts, choice values, labels
    and themes) once per export, so a row costs a join rather than sixteen cells through the
    writer. The answers are read as plain rows (:meth:`Job.sessions_with_answer_rows`), and a
    choice answer's themes are found once per distinct answer (:func:`answer_themes`: an
    answer's themes depend on it alone).
    """
    from scoring.themes import answer_themes

    cells = CsvCells(job.raw)
    cell, recurring = cells.cell, cells.recurring
    pieces: dict[tuple[str, str], str] = {}  # (question, text) as written
    middles: dict[int, dict[tuple[str, str], tuple[str, str]]] = {}  # per flow view: see below
    code = job.study.code
    lang = job.text_lang()  # one language for the whole file, so labels group across respondents
    for s, flow, values, stored in job.sessions_with_answer_rows():
        prefix = ",".join(
            (recurring(code), cell(s.respondent), cell(s.id), recurring(s.flow_id), recurring(s.flow_version),
             recurring(s.lang))
        ) + ","
        status = "," + recurring(s.status) + ","
        end = "".join("," + cell(v) for v in job.identity(s)) + "\r\n"
        plain_end = status + ",,"  # the status, no themes, no recordings
        view = job.view(flow)
        voices = job.recordings(s.id)
        # A choice answer's question, text, value and label as written, and its themes cell, by
        # (question, stored value): one look-up per row for most rows (the texts' language is
        # the export's).
        known = middles.setdefault(id(view), {})
        lines = []
        for qid, value in values.items():
            _, _, raw, at, changed = stored[qid]
            found = known.get((qid, raw))
            if found is None:
                a = AnswerRow(qid, value, None, at, changed or 0, raw)
                if view is not None:
                    text = view.text(qid, lang)
                    shown, label = view.cells(a, lang)
                    free = qid in view.free_text
                else:
                    text, shown, label = "", value_text(value), value_text(value)
                    free = False
                asked = pieces.get((qid, text))
                if asked is None:
                    asked = pieces[(qid, text)] = recurring(qid) + "," + recurring(text) + ","
                themes = answer_themes(flow, qid, value) if flow is not None else ()
                coded_as = recurring(joined(themes)) if themes else ""
                if free:  # an open answer: said once, not worth remembering
                    answer = cell(shown)
                    both = asked + answer + "," + (answer if label == shown else cell(label)) + ","
                else:
                    both = asked + recurring(shown) + "," + recurring(label) + ","
                    if len(known) >= CsvCells.CACHE:
                        known.clear()  # memory stays flat however many distinct answers there are
                    known[(qid, raw)] = (both, coded_as)
            else:
                both, coded_as = found
            # A time stamp (digits first, no comma or quote) is its own cell: checked inline
            # (needs_quotes, without the call).
            if at.__class__ is not str or at[:1] in FORMULA_STARTS or "," in at or '"' in at or "\n" in at or "\r" in at:
                at = cell(at)
            changed = _COUNTS[changed] if changed.__class__ is int and 0 <= changed < 100 else (
                "0" if changed is None else str(changed) if changed.__class__ is int else cell(changed)
            )
            if voices:
                recs = voices.get(qid)
                own = of_part(recs, FIRST_PART) if recs else None
            else:
                recs = own = None
            if own or coded_as:
                extra = ",".join(map(cell, recording_cells(own))) if own else ","
                lines.append(f"{both}{at},{changed}{status}{coded_as},{extra}")
            else:
                lines.append(f"{both}{at},{changed}{plain_end}")  # an f-string: no tuple, no call
            if value.__class__ is not dict:
                continue  # only an answer in parts (decoded JSON: a plain dict) has later parts
            # A probe's answer is a row of its own under <question>__probe, as in the wide CSV, with
            # the recording that answered it (part 2); the themes stay on the question's row.
            for n, (column, prompt, part) in enumerate(later_parts(flow, qid, value, lang), FIRST_PART + 1):
                answer = cell(part)
                spoken = of_part(recs, n) if recs else None
                tail = status + "," + ",".join(map(cell, recording_cells(spoken))) if spoken else plain_end
                lines.append(
                    "".join((recurring(column), ",", recurring(prompt), ",", answer, ",", answer, ",", at, ",", changed, tail))
                )
        if len(pieces) > CsvCells.CACHE:
            pieces.clear()
        # Every line starts with the session's prefix and ends with its end: written between the
        # lines by one join rather than copied into each.
        yield (prefix + (end + prefix).join(lines) + end if lines else ""), len(lines)


_COUNTS = [str(n) for n in range(100)]
"""times_changed as written, for the counts that occur."""


def recording_cells(recs: list[Any]) -> tuple[str, str]:
    """The recording_files and recording_seconds cells: file names and durations, space-separated."""
    return " ".join(r.file for r in recs), " ".join(str(r.duration) for r in recs)


def write_to(job: Job, fh: IO[str], out: Path | str = "-") -> ExportResult:
    """Write the long CSV to an open text file."""
    writer = csv_writer(fh, job)
    writer.writerow(HEADER + job.identity_header())
    result = ExportResult("csv", [Path(out)], identify=job.identify, unit="answer row")
    for text, rows in session_lines(job):
        result.sessions += 1
        result.empty += not rows
        fh.write(text)
        result.rows += rows
    return result
