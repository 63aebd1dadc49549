"""``csv-wide``: one row per session, one column per question, and a codebook file beside it.

A multiple-choice question gets a column with the chosen values separated by spaces and, as in
ODK exports, one 0/1 column per choice (``platforms__instagram``); every choice question gets a
``__label`` column in one language (``--lang``, Indonesian by default), and a question that
offers "don't know" a ``__dont_know`` 0/1 column, so a numeric column holds numbers only.
Numbers are numbers (numeric cells in the workbook). Headers are unique: the answer to the
``organisation`` question is ``organisation__answer`` beside the session's ``organisation``. The codebook
(``<name>.codebook.csv``) lists every column: the question id, its type, its text in both
languages, each choice value with its labels in both languages, and (``flow_versions``) the
versions of the flow that have the question or choice, so waves on different versions can be
compared. An open question with a probe gets a ``<question>__probe`` column for the follow-up's
answer. Every open question (the kind a voice note may answer) gets ``<question>__recording_files``
(the audio files of its recordings, space-separated, written beside the CSV in ``<name>-audio/``)
and ``<question>__recording_seconds`` (their length in seconds, added up; empty when there is no
recording), and its probe ``<question>__probe__recording_files`` / ``__probe__recording_seconds``
for a probe answered by voice. As in the long CSV, text
that a spreadsheet would run as a formula gets a leading ``'`` unless the job is ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.research.exports.base import (
    FIRST_PART,
    ExportResult,
    Job,
    atomic_file,
    copy_study_audio,
    csv_writer,
    duration_minutes,
    later_parts,
    of_part,
    value_text,
)
from bot.research.exports.themes import joined, session_themes

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
    ("level_name", "the level's name in the export's language (--lang; Indonesian by default)"),
    ("themes", "obstacles the respondent named (theme ids, ;-separated; automatic coding, scoring/data/themes.yaml)"),
]
CODEBOOK_HEADER = [
    "column",
    "question_id",
    "type",
    "section",
    "text_id",
    "text_en",
    "value",
    "label_id",
    "label_en",
    "flow_versions",
]
"""``flow_versions``: the versions of the flow that have this question (or choice), for comparing waves."""


PROBE = "__probe"
"""The column of a probe's answer (``<question>__probe``); no choice value can start with "_"."""
REC_FILES, REC_SECONDS = "recording_files", "recording_seconds"
PROBE_PART = FIRST_PART + 1


def recording_holds(what: str, part: int) -> str:
    """What a recording column holds: its files or seconds, of part 1 (the answer) or 2 (the probe).

    >>> recording_holds(REC_FILES, 2)
    'recording_files:2'
    """
    return f"{what}:{part}"


def recording_cell(recs: list[Any], holds: str) -> Any:
    """A recording cell: the files (space-separated), or the seconds added up ('' for none)."""
    what, part = holds.split(":")
    mine = of_part(recs, int(part))
    if not mine:
        return ""
    if what == REC_FILES:
        return " ".join(r.file for r in mine)
    return sum(int(r.duration) for r in mine)


def codebook_path(out: Path) -> Path:
    """Where the codebook of a wide CSV goes: beside it, ``<stem>.codebook.csv``."""
    return out.with_name(f"{out.stem}.codebook.csv")


VALUE, LABEL, DONT_KNOW = "value", "label", "dont_know"
"""What a question column holds besides a choice indicator: the answer, its label, the flag."""
NUMERIC = ("number", "scale")
LABELLED = ("single_choice", "multiple_choice", "yes_no")


def question_columns(flow: Any) -> list[tuple[str, str, str]]:
    """(column, question id, what it holds) for every answerable question of a flow.

    What it holds is :data:`VALUE`, :data:`LABEL`, :data:`DONT_KNOW` or, for a choice of a
    multiple-choice question, the choice value (a 0/1 indicator). Column names are unique: a
    question whose id is also a session column (``organisation``) gets ``__answer`` after it.

    >>> from interview_flows.loader import load_flow
    >>> cols = question_columns(load_flow("ogmm-social-media"))
    >>> [c for c, _, _ in cols if c.startswith("organisation")], len({c for c, _, _ in cols}) == len(cols)
    (['organisation__answer', 'organisation__answer__recording_files', 'organisation__answer__recording_seconds'], True)
    """
    columns: list[tuple[str, str, str]] = []
    if flow is None:
        return columns
    taken = {m for m, _ in META}
    for q in flow.questions:
        if not q.answerable:
            continue
        base = f"{q.id}__answer" if q.id in taken else q.id
        columns.append((base, q.id, VALUE))
        if q.type in LABELLED:
            columns.append((f"{base}__label", q.id, LABEL))
        if q.type == "multiple_choice":
            columns += [(f"{base}__{c.value}", q.id, c.value) for c in q.choices]
        if q.dont_know:
            columns.append((f"{base}__dont_know", q.id, DONT_KNOW))
        if q.probe is not None:
            columns.append((f"{q.id}__probe", q.id, PROBE))
        if q.type == "text":  # the questions a voice note may answer, and their probe
            parts = [(FIRST_PART, base)] + ([(PROBE_PART, f"{q.id}{PROBE}")] if q.probe is not None else [])
            for part, stem in parts:
                columns += [(f"{stem}__{what}", q.id, recording_holds(what, part)) for what in (REC_FILES, REC_SECONDS)]
    return columns


def header(job: Job) -> list[str]:
    """The wide header: session columns, question columns, identity columns."""
    return [m for m, _ in META] + [c for c, _, _ in question_columns(job.study_flow())] + job.identity_header()


def cell(q: Any, value: Any, holds: str, lang: str) -> Any:
    """One wide cell. Numbers stay numbers; "don't know" empties a numeric value (its flag says it)."""
    if holds == DONT_KNOW:
        return "" if value is None else int(value == "dont_know")
    if holds == LABEL:
        if value is None or q is None:
            return ""
        from interview_flows.answers import describe_answer

        return " ".join(describe_answer(q, value, lang).split())
    if holds == VALUE:
        if value == "dont_know" and q is not None and q.type in NUMERIC:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value) if isinstance(value, float) and value.is_integer() else value
        return value_text(value)
    if isinstance(value, list):  # a choice indicator
        return 1 if holds in value else 0
    return ""


def rows(job: Job) -> Iterator[tuple[list[Any], int]]:
    """Each session as a wide row, with its number of answers."""
    flow = job.study_flow()
    columns = question_columns(flow)
    questions = {q.id: q for q in flow.questions} if flow is not None else {}
    code = job.study.code
    lang = job.text_lang()
    names = _level_names()
    for s, flow, answers in job.sessions_with_answers():
        values = {a.question_id: a.value for a in answers}
        minutes = duration_minutes(s)
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
            float(minutes) if minutes else "",
            s.level if s.level is not None else "",
            names[s.level].get(lang) if s.level in names else "",
            joined(t.id for t in session_themes(flow, values)),
        ]
        voices = job.recordings(s.id)
        for _column, qid, holds in columns:
            if holds.startswith(("recording_files:", "recording_seconds:")):
                row.append(recording_cell(voices.get(qid, []), holds))
            elif holds == PROBE:
                later = later_parts(flow, qid, values.get(qid), s.lang)
                row.append(later[0][2] if later else "")
            else:
                row.append(cell(questions.get(qid), values.get(qid), holds, lang))
        yield row + job.identity(s), len(answers)


def _level_names() -> dict[int, Any]:
    from scoring.criteria import load_model

    return {lv.level: lv.name for lv in load_model().levels}


def codebook_rows(job: Job) -> Iterator[list[Any]]:
    """The codebook: every column of the wide data, with texts and choice labels in both languages,
    and the versions of the flow each question or choice belongs to."""
    flow = job.study_flow()
    versions = _versions_of(flow)
    for row in _codebook_rows(job, flow):
        qid, value = row[1], row[6]
        key = (qid, value if row[2] in ("choice", "indicator") else None)
        if row[2] == "indicator":
            key = (qid, row[0][len(qid) + 2 :])
        yield [*row, " ".join(versions.get(key, [])) if qid else ""]


def _versions_of(flow: Any) -> dict[tuple[str, str | None], list[str]]:
    """(question id, choice value or None) to the versions of the flow that have it."""
    from interview_flows.loader import flow_versions

    found: dict[tuple[str, str | None], list[str]] = {}
    if flow is None:
        return found
    for version in flow_versions(flow.id) or [flow]:
        for q in version.questions:
            found.setdefault((q.id, None), []).append(version.version)
            for c in q.choices:
                found.setdefault((q.id, c.value), []).append(version.version)
    return found


def _codebook_rows(job: Job, flow: Any) -> Iterator[list[Any]]:
    for column, text in META:
        yield [column, "", "meta", "", text, text, "", "", ""]
    if flow is None:
        return
    by_question: dict[str, list[tuple[str, str]]] = {}
    for column, qid, holds in question_columns(flow):
        by_question.setdefault(qid, []).append((column, holds))
    for q in flow.questions:
        if not q.answerable:
            continue
        cols = dict((holds, column) for column, holds in by_question[q.id])
        base = cols[VALUE]
        yield [base, q.id, q.type, q.section, q.text.id, q.text.en, "", "", ""]
        if LABEL in cols:
            yield [
                cols[LABEL],
                q.id,
                "label",
                q.section,
                f"label jawaban dalam bahasa ekspor (--lang) untuk {q.id}",
                f"the answer's label in the export's language (--lang) for {q.id}",
                "",
                "",
                "",
            ]
        if q.type == "multiple_choice":
            for c in q.choices:
                yield [
                    f"{base}__{c.value}",
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
                yield [base, q.id, "choice", q.section, "", "", c.value, c.label.id, c.label.en]
        if q.type == "scale":
            for p in q.scale_points():
                low = q.min_label if p == q.min else q.max_label if p == q.max else None
                yield [base, q.id, "point", q.section, "", "", str(p), low.id if low else "", low.en if low else ""]
        if q.dont_know:
            if q.type not in NUMERIC:
                yield [base, q.id, "dont_know", q.section, "", "", "dont_know", "Tidak tahu", "Don't know"]
            yield [
                cols[DONT_KNOW],
                q.id,
                "dont_know_flag",
                q.section,
                f"1 bila responden menjawab 'Tidak tahu' untuk {q.id}"
                + (" (kolom nilainya lalu kosong)" if q.type in NUMERIC else ""),
                f"1 when the respondent answered 'Don't know' to {q.id}"
                + (" (its value column is then empty)" if q.type in NUMERIC else ""),
                "1",
                "Tidak tahu",
                "Don't know",
            ]
        if q.probe is not None:
            yield [f"{q.id}__probe", q.id, "probe", q.section, q.probe.text.id, q.probe.text.en, "", "", ""]
        for part, whose_id, whose_en in ((FIRST_PART, "", ""),
                                         (PROBE_PART, " (pertanyaan lanjutan)", " (follow-up question)")):
            files, seconds = cols.get(recording_holds(REC_FILES, part)), cols.get(recording_holds(REC_SECONDS, part))
            if files is None or seconds is None:
                continue
            yield [files, q.id, REC_FILES, q.section,
                   f"berkas rekaman jawaban suara untuk {q.id}{whose_id}, dipisah spasi; ada di folder <nama>-audio/"
                   " di samping berkas ekspor",
                   f"audio files of the voice answers to {q.id}{whose_en}, space-separated; in the <name>-audio/"
                   " folder beside the export", "", "", ""]
            yield [seconds, q.id, REC_SECONDS, q.section,
                   f"lama rekaman jawaban suara untuk {q.id}{whose_id} dalam detik, dijumlahkan (kosong bila tidak"
                   " ada rekaman)",
                   f"length in seconds of the voice answers to {q.id}{whose_en}, added up (empty when there is none)",
                   "", "", ""]
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
    copy_study_audio(job, out, result)
    return result
