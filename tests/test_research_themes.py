"""Everywhere the same: the themes and suggestions of one interview in the terminal, Telegram, the
stored assessment, ``matang score --json``, the PDF report and every export that carries them."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from bot.texts import TEXTS
from interview_flows.loader import load_flow

from .telegram_helpers import load_case, matang_bot, run_interview
from .test_research_support import answer_line

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "data" / "refi-qda" / "Project.xsd"
FLOW = load_flow("ogmm-social-media")
SAID = (
    "Personel yang terlatih terlalu sedikit, media sosial masih dianggap corong siaran pers, "
    "dan setiap jawaban menunggu persetujuan pimpinan yang lama."
)


def kemlu_answers() -> dict:
    return {
        **yaml.safe_load((ROOT / "tests" / "cases" / "kemlu_staff.yaml").read_text("utf-8")),
        "main_challenge": SAID,
    }


def typed_line(q, value) -> str:
    """What a respondent types in the terminal to give ``value`` for ``q``."""
    if value is None:
        return answer_line(q, 0.5, "Kementerian Luar Negeri")
    if value == "dont_know":
        return "tidak tahu"
    if q.choices:
        values = value if isinstance(value, list) else [value]
        return ",".join(str(n) for n, c in enumerate(q.choices, 1) if c.value in values)
    return str(value)


@pytest.fixture(scope="module")
def interview(tmp_path_factory):
    """One Kemlu interview through the real terminal, in a study; its store path and output."""
    from bot.research.studies import create_study
    from bot.store import Store
    from bot.terminal import TerminalInterview
    from interview_flows.answers import parse_text_answer
    from interview_flows.engine import Interview

    root = tmp_path_factory.mktemp("themes")
    db = root / "matang.db"
    answers = kemlu_answers()
    engine = Interview(FLOW)
    session = engine.new_session("id")
    engine.start(session)
    lines = []
    while session.state == "asking":
        q = engine.current(session)
        if q is None:  # the final check: send
            lines.append("kirim")
            engine.finish(session)
            break
        if not q.answerable:
            lines.append("")
            engine.skip(session)
            continue
        line = typed_line(q, answers.get(q.id))
        lines.append(line)
        engine.answer(session, parse_text_answer(q, line, "id"))
    store = Store.open(db)
    try:
        study = create_study(store, "Tema uji", researchers=[1], code="tema2026")
        out = io.StringIO()
        run = TerminalInterview(
            store,
            FLOW,
            "id",
            stdin=io.StringIO("ya\n" + "".join(f"{x}\n" for x in lines)),
            stdout=out,
            user="sari",
            study_code=study.code,
        )
        record = run.run(new=True)
        assert record is not None and record.state == "finished"
        return {
            "db": db,
            "root": root,
            "code": study.code,
            "session": record.id,
            "terminal": out.getvalue(),
            "stored": record.assessment,
            "answers": dict(record.session.answers),
        }
    finally:
        store.close()


def matang(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "MATANG_DB": str(db), "HOME": str(db.parent)},
        check=False,
    )


def theme_ids(assessment: dict) -> list[str]:
    return [t["id"] for t in assessment["themes"]]


def test_the_stored_assessment_has_the_named_obstacles_with_spans_on_the_answer(interview):
    stored = interview["stored"]
    assert {"staffing", "skills", "approval", "leadership_culture"} <= set(theme_ids(stored))
    said = interview["answers"]["main_challenge"]
    spans = [s for t in stored["themes"] for s in t["sources"] if s["question"] == "main_challenge"]
    assert spans and all(said[s["start"] : s["end"]] == s["text"] for s in spans)
    assert "approval" in [s["addresses"] for s in stored["suggestions"]]


def test_score_json_from_the_same_answers_gives_the_same_themes_and_suggestions(interview, tmp_path):
    answers_file = tmp_path / "answers.yaml"
    answers_file.write_text(yaml.safe_dump(interview["answers"], allow_unicode=True), "utf-8")
    done = matang("score", "--json", str(answers_file), db=tmp_path / "x.db")
    assert done.returncode == 0, done.stderr
    scored = json.loads(done.stdout)
    assert scored["themes"] == interview["stored"]["themes"]
    assert scored["suggestions"] == interview["stored"]["suggestions"]


def test_the_terminal_shows_the_themes_and_every_suggestion(interview):
    out = interview["terminal"]
    assert "Hambatan yang Bapak/Ibu sebut" in out
    for t in interview["stored"]["themes"]:
        assert t["label"]["id"].lower() in out.lower()
    for s in interview["stored"]["suggestions"]:
        assert s["text"]["id"] in out and s["why"]["id"] in out
    assert "(P)" not in out and "(N)" not in out


def export(interview, fmt: str, out: Path) -> Path:
    from bot.research.exports import export_study
    from bot.store import Store

    store = Store.open(interview["db"])
    try:
        export_study(store, interview["code"], fmt, out)
    finally:
        store.close()
    return out


def test_csv_long_and_wide_carry_the_themes(interview, tmp_path):
    stored = interview["stored"]
    with open(export(interview, "csv", tmp_path / "long.csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_q = {r["question_id"]: r["themes"] for r in rows}
    in_words = [t["id"] for t in stored["themes"] if any(s["question"] == "main_challenge" for s in t["sources"])]
    assert by_q["main_challenge"].split(";") == in_words
    ticked = [t["id"] for t in stored["themes"] if any(s["question"] == "challenges" for s in t["sources"])]
    assert by_q["challenges"].split(";") == ticked
    assert by_q["organisation"] == ""
    with open(export(interview, "csv-wide", tmp_path / "wide.csv"), newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["themes"].split(";") == theme_ids(stored)


def test_jsonl_ends_with_the_assessment_and_its_themes(interview, tmp_path):
    lines = export(interview, "jsonl", tmp_path / "events.jsonl").read_text("utf-8").splitlines()
    (last,) = [json.loads(x) for x in lines if '"type":"assessment"' in x]
    assert last["assessment"]["themes"] == interview["stored"]["themes"]
    assert last["assessment"]["suggestions"] == interview["stored"]["suggestions"]


def test_qdpx_has_a_theme_group_coded_on_the_exact_words(interview, tmp_path):
    import xmlschema

    path = export(interview, "qdpx", tmp_path / "project.qdpx")
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde").decode("utf-8")
        schema = xmlschema.XMLSchema(str(SCHEMA))
        schema.validate(qde)
        data = schema.to_dict(qde)
        (group,) = [g for g in data["CodeBook"]["Codes"]["Code"] if g["@name"] == "Tema (otomatis)"]
        assert group["@isCodable"] is False
        theme_codes = {c["@guid"]: c["@name"].split()[0] for c in group["Code"]}
        (source,) = data["Sources"]["TextSource"]
        text = zf.read("sources/" + source["@plainTextPath"].removeprefix("internal://")).decode("utf-8")
    coded = {}
    for sel in source["PlainTextSelection"]:
        for c in sel.get("Coding", []):
            theme = theme_codes.get(c["CodeRef"]["@targetGUID"])
            if theme:
                coded.setdefault(theme, []).append(text[sel["@startPosition"] : sel["@endPosition"]])
    expected = {}
    for t in interview["stored"]["themes"]:
        for s in t["sources"]:
            if s["start"] is not None:
                expected.setdefault(t["id"], []).append(s["text"])
    assert coded == expected and "approval" in coded


def test_the_pdf_report_lists_the_themes_and_the_suggestions_with_why(interview, tmp_path):
    from pypdf import PdfReader

    from bot.research.reports import session_report
    from bot.store import Store

    store = Store.open(interview["db"])
    try:
        pdf = session_report(store, interview["session"])
    finally:
        store.close()
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    # The respondent's own report: the themes by their names, never their ids.
    assert "Hambatan yang Bapak/Ibu sebut" in text
    for t in interview["stored"]["themes"]:
        assert t["label"]["id"] in text
        assert not re.search(rf"\b{re.escape(t['id'])}\b", text), t["id"]
    for s in interview["stored"]["suggestions"]:
        assert " ".join(s["why"]["id"].split()) in text
        assert " ".join(s["text"]["id"].split())[:60] in text


async def test_telegram_says_the_same_suggestions_for_the_same_answers(api, tmp_path, interview):
    db = tmp_path / "matang.db"
    async with matang_bot(api, db, flow="ogmm-social-media") as (_, store):
        user = api.user(2024, language_code="id")
        await user.send("/start")
        greeting = await user.next_message()
        await user.press_button("Ya, saya bersedia", greeting)
        await user.next_message()
        await user.next_message()
        await run_interview(user, store, {**load_case("kemlu_staff.yaml"), "main_challenge": SAID})
        record = store.latest_session(open_record_id(store, 2024))
        assert record.state == "finished"
        assert record.assessment["themes"] == interview["stored"]["themes"]
        assert record.assessment["suggestions"] == interview["stored"]["suggestions"]
        # The short result names the first suggestions; its "All suggestions" button sends them all.
        short = next(m for m in user.messages if m.kind == "text" and m.buttons)
        user.skip()
        await user.press_button(TEXTS["tg_result_tips"]["id"], short)
        await user.next_event(lambda e: e.kind == "sent" and "Semua saran" in (e.message.text or ""), timeout=10)
        said = "\n".join(m.content for m in user.messages if m.kind == "text")
    for s in interview["stored"]["suggestions"]:
        assert s["why"]["id"] in said and s["text"]["id"] in said
    assert "(P)" not in said


def open_record_id(store, user_id: int) -> int:
    return next(store.db.query("select id from respondents where external_id = ?", [str(user_id)]))["id"]
