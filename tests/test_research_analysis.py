"""Exports as analysis tools read them: the analysis database, typed cells, unique headers, labels.

A study filled through the channels (see ``test_research_support``) plus one respondent who
answers "don't know" to a numeric question; read back with sqlite3, pandas, openpyxl and csv.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .test_research_support import ORG_A, ORG_B, Research, build_research, run_telegram_like

DONT_KNOW_QUESTION = "response_time_hours"


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Research:
    """The shared study, plus a Telegram respondent who does not know the response time."""
    research = build_research(tmp_path_factory.mktemp("analysis"))
    store = research.store()
    try:
        from bot.interviews import Interviews, engine_of
        from interview_flows.loader import load_flow

        study = store.db.execute("select flow_id, flow_version from studies").fetchone()
        flow = load_flow(*study)
        record = run_telegram_like(store, flow, "siti", 0.5, ORG_B, research.code, stop_after=0)
        interviews = Interviews(store)
        engine = engine_of(record)
        from interview_flows.answers import parse_text_answer

        from .test_research_support import answer_line

        while record.state == "asking":
            q = engine.current(record.session)
            if q is None:  # the final check: send
                interviews.act(record, "finish", command="send")
            elif q.id == DONT_KNOW_QUESTION:
                interviews.act(record, "answer", "dont_know")
            elif q.answerable:
                interviews.act(record, "answer", parse_text_answer(q, answer_line(q, 0.5, ORG_B), "id"))
            else:
                interviews.act(record, "skip")
        assert record.state == "finished" and record.session.answers[DONT_KNOW_QUESTION] == "dont_know"
        research.sessions["siti-2"] = record.id
    finally:
        store.close()
    return research


def export(research: Research, fmt: str, out: Path, **kwargs):
    from bot.research.exports import export_study

    store = research.store()
    try:
        return export_study(store, research.code, fmt, out, **kwargs)
    finally:
        store.close()


# -- the analysis database ---------------------------------------------------------------------


def test_analysis_database_has_no_identifying_value_in_its_bytes(research, tmp_path):
    out = tmp_path / "analysis.db"
    result = export(research, "sqlite", out)
    assert out.exists() and result.sessions == len(research.sessions)
    data = out.read_bytes()
    for secret in research.secrets():
        assert secret.encode() not in data, secret
    with sqlite3.connect(out) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        assert "respondents" not in tables
        for table in tables:
            columns = {r[1] for r in conn.execute(f"pragma table_info({table})")}
            assert not columns & {"external_id", "username", "chat_id", "respondent_name", "respondent_id"}, table


def test_analysis_database_matches_the_csv_exports_counts(research, tmp_path):
    export(research, "sqlite", tmp_path / "analysis.db")
    export(research, "csv", tmp_path / "long.csv")
    export(research, "csv-wide", tmp_path / "wide.csv")
    with open(tmp_path / "long.csv", newline="", encoding="utf-8") as fh:
        long = list(csv.DictReader(fh))
    with open(tmp_path / "wide.csv", newline="", encoding="utf-8") as fh:
        wide = list(csv.DictReader(fh))
    conn = sqlite3.connect(tmp_path / "analysis.db")
    assert conn.execute("select count(*) from answers").fetchone()[0] == len(long)
    assert conn.execute("select count(*) from sessions").fetchone()[0] == len(wide)
    per_session = dict(conn.execute("select session, count(*) from answers group by session"))
    for sid in {int(r["session"]) for r in long}:
        assert per_session[sid] == sum(1 for r in long if int(r["session"]) == sid)
    pseudonyms = {r["respondent"] for r in long}
    assert pseudonyms <= {r[0] for r in conn.execute("select respondent from sessions")}
    statuses = dict(conn.execute("select status, count(*) from sessions group by status"))
    assert statuses == {"finished": 5, "partial": 1, "withdrawn": 1, "declined": 1}
    assert {r[0] for r in conn.execute("select organisation from organisations")} == {ORG_A, ORG_B}
    study = conn.execute("select invited, consented, finished, declined from studies").fetchone()
    assert study == (7, 7, 5, 1)  # siti answered twice: one person invited, two sessions
    # labels in both languages and the chosen one; the "don't know" flag; numbers as numbers
    role = conn.execute("select label, label_id, label_en from answers where question_id = 'role' limit 1").fetchone()
    assert role[0] == role[1] and role[1] != role[2]
    dk = conn.execute(
        "select dont_know, number from answers where question_id = ? and session = ?",
        [DONT_KNOW_QUESTION, research.sessions["siti-2"]],
    ).fetchone()
    assert dk == (1, None)
    # a numeric answer is a number SQL can average (REAL affinity), never text
    assert conn.execute("select typeof(number) from answers where question_id = 'team_size' limit 1").fetchone() == (
        "real",
    )
    assert conn.execute("select count(*) from criterion_ratings").fetchone()[0] > 0
    assert conn.execute("select count(*) from answers where answer_kind != 'text'").fetchone()[0] == 0


def test_themes_in_an_assessment_fill_the_themes_table(research, tmp_path):
    """Assessments carrying ``themes`` (made by the theme finder) land in the themes table."""
    import shutil

    from bot.research.analysis import write_analysis_db
    from bot.store import Store

    copy = tmp_path / "copy.db"
    shutil.copy(research.db, copy)
    store = Store.open(copy)
    try:
        sid = research.sessions["budi.santoso"]
        a = json.loads(store.db.execute("select assessment from sessions where id = ?", [sid]).fetchone()[0])
        a["themes"] = [
            {
                "id": "complaints",
                "label": {"id": "Keluhan warga", "en": "Citizens' complaints"},
                "sources": [{"question": "unit", "start": 0, "end": 24, "text": "Kami membalas keluhan warga"}],
            }
        ]
        store.db.execute("update sessions set assessment = ? where id = ?", [json.dumps(a), sid])
        counts = write_analysis_db(store, [research.code], tmp_path / "analysis.db", "en")
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "analysis.db")
    rows = conn.execute(
        'select session, theme_id, label, label_id, question_id, start, "end", text from themes where session = ?',
        [sid],
    ).fetchall()
    assert (
        sid,
        "complaints",
        "Citizens' complaints",
        "Keluhan warga",
        "unit",
        0,
        24,
        "Kami membalas keluhan warga",
    ) in rows
    # The themes the interviews' own assessments carry (automatic coding) are there too, each
    # with the words it came from or the option ticked.
    others = conn.execute(
        "select theme_id, label_id, label_en, text, choice from themes where theme_id != 'complaints'"
    ).fetchall()
    assert counts["themes"] == len(others) + 1
    assert others and all(t[0] and t[1] and t[2] and (t[3] or t[4]) for t in others)


def test_export_all_studies_into_one_database_and_identify_is_refused(research, tmp_path):
    db = str(research.db)
    out = tmp_path / "all.db"
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--db", db, "--all", "--format", "sqlite", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert f"from {len(research.sessions)} session(s)" in run.stdout and "pseudonymous" in run.stdout
    assert sqlite3.connect(out).execute("select count(*) from studies").fetchone()[0] == 1
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "export",
            "--db",
            db,
            "--all",
            "--format",
            "sqlite",
            "--identify",
            "--out",
            str(tmp_path / "x.db"),
        ],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "always pseudonymous" in refused.stderr
    assert not (tmp_path / "x.db").exists()
    wrong = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--db", db, "--all", "--format", "csv"],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 2 and "--all" in wrong.stderr


# -- exports read by analysis tools ------------------------------------------------------------


def test_workbook_wide_sheet_has_numeric_cells_and_a_dont_know_flag(research, tmp_path):
    from openpyxl import load_workbook

    export(research, "xlsx", tmp_path / "book.xlsx")
    ws = load_workbook(tmp_path / "book.xlsx")["wide"]
    header = [c.value for c in ws[1]]
    assert len(header) == len(set(header))
    col = {name: i for i, name in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2))
    for name in ("team_size", "years_in_role", "duration_minutes", "level"):
        filled = [r[col[name]] for r in rows if r[col[name]].value not in (None, "")]
        assert filled and all(c.data_type == "n" for c in filled), name
    by_session = {r[col["session"]].value: r for r in rows}
    siti2 = by_session[research.sessions["siti-2"]]
    assert siti2[col[f"{DONT_KNOW_QUESTION}__dont_know"]].value == 1
    assert siti2[col[DONT_KNOW_QUESTION]].value in (None, "")
    budi = by_session[research.sessions["budi.santoso"]]
    assert budi[col[f"{DONT_KNOW_QUESTION}__dont_know"]].value == 0


def test_pandas_reads_wide_csv_with_numeric_columns_and_unique_headers(research, tmp_path):
    pd = pytest.importorskip("pandas")
    export(research, "csv-wide", tmp_path / "wide.csv")
    with open(tmp_path / "wide.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert len(header) == len(set(header)), [h for h in header if header.count(h) > 1]
    frame = pd.read_csv(tmp_path / "wide.csv")
    for name in ("team_size", "years_in_role", "duration_minutes", DONT_KNOW_QUESTION):
        assert pd.api.types.is_numeric_dtype(frame[name]), name
    assert frame["organisation__answer"].notna().any() and "organisation" in frame
    book = pd.read_csv(tmp_path / "wide.codebook.csv")
    flag = book[book["column"] == f"{DONT_KNOW_QUESTION}__dont_know"]
    assert len(flag) == 1 and flag.iloc[0]["question_id"] == DONT_KNOW_QUESTION
    assert set(header) <= set(book["column"])


def test_labels_and_level_names_in_the_chosen_language(research, tmp_path):
    from openpyxl import load_workbook

    from interview_flows.loader import load_flow

    flow = load_flow("ogmm-social-media")
    role = flow.question("role")
    labels = {lang: {c.label.get(lang) for c in role.choices} for lang in ("id", "en")}
    for lang in ("id", "en"):
        export(research, "csv-wide", tmp_path / f"wide-{lang}.csv", lang=lang)
        with open(tmp_path / f"wide-{lang}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        given = {r["role__label"] for r in rows if r["role__label"]}
        assert given and given <= labels[lang]
        export(research, "xlsx", tmp_path / f"book-{lang}.xlsx", lang=lang)
        ws = load_workbook(tmp_path / f"book-{lang}.xlsx", read_only=True)["assessments"]
        sheet = list(ws.iter_rows(values_only=True))
        names = {r[sheet[0].index("level_name")] for r in sheet[1:]}
        from scoring.criteria import load_model

        assert names <= {lv.name.get(lang) for lv in load_model().levels}


def test_the_export_says_what_it_wrote_and_why_sessions_have_no_rows(research, tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "export",
            "--db",
            str(research.db),
            "--study",
            research.code,
            "--format",
            "csv",
            "--out",
            str(tmp_path / "long.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    with open(tmp_path / "long.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    sessions = {r["session"] for r in rows}
    assert f"{len(rows)} answer row(s) from {len(sessions)} session(s)" in run.stdout
    assert "1 more session has no answers: declined or not begun" in run.stdout


def test_identified_qdpx_keeps_the_pseudonym_in_the_case_name(research, tmp_path):
    import zipfile

    import xmlschema

    schema = xmlschema.XMLSchema(str(Path(__file__).resolve().parent / "data" / "refi-qda" / "Project.xsd"))
    export(research, "qdpx", tmp_path / "p.qdpx", identify=True)
    with zipfile.ZipFile(tmp_path / "p.qdpx") as zf:
        qde = zf.read("project.qde").decode("utf-8")
    schema.validate(qde)
    names = [c["@name"] for c in schema.to_dict(qde)["Cases"]["Case"]]
    siti = [n for n in names if "Siti Rahmawati" in n]
    assert siti and all(n.startswith("R-") and "@siti_rahma" in n for n in siti)


def test_wide_cells_keep_numbers_numeric_and_flag_dont_know():
    """Whatever a numeric question holds, its value cell is a number or empty, and its flag 0/1."""
    from hypothesis import given
    from hypothesis import strategies as st

    from bot.research.exports.csv_wide import DONT_KNOW, VALUE, cell
    from interview_flows.loader import load_flow

    q = load_flow("ogmm-social-media").question(DONT_KNOW_QUESTION)
    answers = st.one_of(
        st.integers(-(10**9), 10**9), st.floats(allow_nan=False, allow_infinity=False), st.just("dont_know"), st.none()
    )

    @given(answers)
    def check(value):
        shown = cell(q, value, VALUE, "id")
        flag = cell(q, value, DONT_KNOW, "id")
        if value is None:
            assert shown == "" and flag == ""
        elif value == "dont_know":
            assert shown == "" and flag == 1
        else:
            assert isinstance(shown, int | float) and shown == value and flag == 0

    check()


def test_disagreeing_organisations_page_lists_an_organisation_whose_respondents_disagree(research, tmp_path):
    """Two respondents of one organisation at opposite ends: the dashboard's query names it."""
    import shutil

    from bot.research.analysis import write_analysis_db
    from bot.research.dashboard import canned_queries
    from bot.research.studies import open_study
    from bot.store import Store
    from interview_flows.loader import load_flow

    from .test_research_support import run_terminal, script

    copy = tmp_path / "copy.db"
    shutil.copy(research.db, copy)
    store = Store.open(copy)
    try:
        flow = load_flow("ogmm-social-media")
        for user, profile in (("extra.one", 0.0), ("extra.two", 1.0)):
            open_study(store, research.code)
            lines, _ = script(flow, profile, "Badan Uji Beda")
            assert run_terminal(store, flow, user, ["ya", *lines], research.code).state == "finished"
        write_analysis_db(store, [research.code], tmp_path / "analysis.db", "en")
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "analysis.db")
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(canned_queries("en")["disagreeing_organisations"]["sql"])]
    found = [r for r in rows if r["Organisation"] == "Badan Uji Beda"]
    assert found and found[0]["Criteria in disagreement"] and found[0]["Respondents"] == 2
    flagged = conn.execute(
        "select count(*) from organisation_criteria where organisation = 'Badan Uji Beda' and disagreement = 1"
    ).fetchone()[0]
    assert flagged == len(found[0]["Criteria in disagreement"].split())
    # every canned query runs on the database as built, and has something to show here
    for name, query in canned_queries("id").items():
        assert conn.execute(query["sql"], {"session": research.sessions["budi.santoso"]}).fetchall(), name


def test_a_voice_answer_is_marked_as_such_in_the_answers_table(research, tmp_path):
    import shutil

    from bot.recordings import add_recording, keep_audio
    from bot.research.analysis import write_analysis_db
    from bot.store import Store, now

    copy = tmp_path / "copy.db"
    shutil.copy(research.db, copy)
    store = Store.open(copy)
    try:
        sid = research.sessions["budi.santoso"]
        data = b"OggS" + b"\0" * 100
        path = keep_audio(store.db, data, "audio/ogg")
        add_recording(store.db, sid, "unit", path, data, mime_type="audio/ogg", duration=7, recorded_at=now())
        write_analysis_db(store, [research.code], tmp_path / "analysis.db")
    finally:
        store.close()
    kinds = dict(
        sqlite3.connect(tmp_path / "analysis.db").execute(
            "select question_id, answer_kind from answers where session = ?", [sid]
        )
    )
    assert kinds["unit"] == "voice" and {k for q, k in kinds.items() if q != "unit"} == {"text"}
