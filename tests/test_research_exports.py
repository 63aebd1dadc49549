"""Every export format, produced from a study filled through the channels and read back."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .test_research_support import ORG_A, ORG_B, Research, build_research


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Research:
    """A filled study in its own database (built once for this module)."""
    return build_research(tmp_path_factory.mktemp("research"))


SCHEMA = Path(__file__).resolve().parent / "data" / "refi-qda" / "Project.xsd"
FORMATS = ["csv", "csv-wide", "xlsx", "jsonl", "transcripts", "qdpx"]
OUT = {
    "csv": "long.csv",
    "csv-wide": "wide.csv",
    "xlsx": "book.xlsx",
    "jsonl": "events.jsonl",
    "transcripts": "transcripts.zip",
    "qdpx": "project.qdpx",
}


def export(research: Research, fmt: str, out: Path, **kwargs):
    from bot.research.exports import export_study

    store = research.store()
    try:
        return export_study(store, research.code, fmt, out, **kwargs)
    finally:
        store.close()


def all_bytes(path: Path) -> bytes:
    """Every byte an export wrote, zip members uncompressed, a directory's files concatenated."""
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            data += b"".join(zf.read(name) + name.encode() for name in zf.namelist())
    return data


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def stored_answers(research: Research) -> dict[int, dict]:
    from bot.store import loads

    store = research.store()
    try:
        found: dict[int, dict] = {}
        for sid, qid, value in store.db.execute("select session_id, question_id, value from answers"):
            found.setdefault(sid, {})[qid] = loads(value)
        return found
    finally:
        store.close()


# -- long CSV ------------------------------------------------------------------------------------


def test_long_csv_has_one_row_per_answer_with_the_issue_columns(research, tmp_path):
    result = export(research, "csv", tmp_path / "long.csv")
    rows = read_csv(tmp_path / "long.csv")
    assert list(rows[0]) == [
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
    budi = research.sessions["budi.santoso"]
    mine = [r for r in rows if int(r["session"]) == budi]
    assert {r["question_id"] for r in mine} == set(research.expected["budi.santoso"])
    org = next(r for r in mine if r["question_id"] == "organisation")
    assert org["value"] == ORG_A and org["label"] == ORG_A
    assert org["question_text"] == "Di instansi mana Bapak/Ibu bekerja?"
    assert org["answered_at"].endswith("+00:00") and "T" in org["answered_at"]
    role = next(r for r in mine if r["question_id"] == "role")
    assert role["value"] == "other" or role["label"] != role["value"]  # a label, not the stored value
    # Partial and withdrawn sessions are there and marked; the declined one has no answers.
    status = {int(r["session"]): r["session_status"] for r in rows}
    assert status[research.sessions["rina.wulandari"]] == "partial"
    assert status[research.sessions["joko"]] == "withdrawn"
    assert status[budi] == "finished"
    assert research.sessions["tono.sugiarto"] not in status
    assert result.rows == len(rows)
    assert len({r["respondent"] for r in rows}) == 6 and all(r["respondent"].startswith("R-") for r in rows)


def test_multiple_choice_values_are_space_separated_and_labels_readable(research, tmp_path):
    export(research, "csv", tmp_path / "long.csv")
    rows = read_csv(tmp_path / "long.csv")
    platforms = next(
        r for r in rows if r["question_id"] == "platforms" and int(r["session"]) == research.sessions["budi.santoso"]
    )
    assert platforms["value"].split() == research.expected["budi.santoso"]["platforms"]
    assert ", " in platforms["label"]


# -- wide CSV and codebook -------------------------------------------------------------------------


def test_wide_csv_has_one_row_per_session_and_a_codebook_beside_it(research, tmp_path):
    result = export(research, "csv-wide", tmp_path / "wide.csv")
    assert result.paths == [tmp_path / "wide.csv", tmp_path / "wide.codebook.csv"]
    rows = read_csv(tmp_path / "wide.csv")
    assert len(rows) == len(research.sessions)  # declined included, and marked
    by_session = {int(r["session"]): r for r in rows}
    budi = by_session[research.sessions["budi.santoso"]]
    for qid, value in research.expected["budi.santoso"].items():
        expected = " ".join(value) if isinstance(value, list) else str(value)
        assert budi[qid if qid != "organisation" else "organisation__answer"] == expected, qid
    assert budi["organisation"] == ORG_A and budi["session_status"] == "finished" and budi["level"]
    for choice in research.expected["budi.santoso"]["platforms"]:
        assert budi[f"platforms__{choice}"] == "1"
    assert by_session[research.sessions["tono.sugiarto"]]["session_status"] == "declined"
    assert by_session[research.sessions["rina.wulandari"]]["session_status"] == "partial"
    assert by_session[research.sessions["rina.wulandari"]]["level"] == ""
    book = read_csv(tmp_path / "wide.codebook.csv")
    columns = {b["column"] for b in book}
    assert set(rows[0]) <= columns
    role = [b for b in book if b["question_id"] == "role"]
    assert role[0]["text_id"] == "Apa peran Bapak/Ibu dalam pengelolaan media sosial instansi?"
    assert role[0]["text_en"].startswith("What is your role")
    assert any(b["value"] == "head" and b["label_id"] and b["label_en"] for b in role)


# -- Excel -----------------------------------------------------------------------------------------


def test_workbook_opens_with_every_sheet(research, tmp_path):
    from openpyxl import load_workbook

    export(research, "xlsx", tmp_path / "book.xlsx")
    wb = load_workbook(tmp_path / "book.xlsx", read_only=True)
    assert wb.sheetnames == ["long", "wide", "codebook", "assessments", "events"]
    long = list(wb["long"].iter_rows(values_only=True))
    wide = list(wb["wide"].iter_rows(values_only=True))
    assessments = list(wb["assessments"].iter_rows(values_only=True))
    events = list(wb["events"].iter_rows(values_only=True))
    assert long[0][:3] == ("study", "respondent", "session")
    total = sum(len(a) for a in stored_answers(research).values())
    assert len(long) - 1 == total  # every answer applies in these interviews
    assert len(wide) - 1 == len(research.sessions)
    header = assessments[0]
    finished = [r for r in assessments[1:] if r[header.index("session_status")] == "finished"]
    assert len(finished) == 4 and all(1 <= r[header.index("level")] <= 5 for r in finished)
    assert "L2.publish.rating" in header
    kinds = {r[events[0].index("kind")] for r in events[1:]}
    assert {"consent", "state", "answer"} <= kinds


def test_a_full_sheet_continues_on_the_next(research, tmp_path):
    from openpyxl import load_workbook

    from bot.research.exports import Job, snapshot, xlsx
    from bot.research.studies import get_study

    store = research.store()
    try:
        with snapshot(store):
            xlsx.write(Job(store, get_study(store, research.code)), tmp_path / "small.xlsx", max_rows=50)
    finally:
        store.close()
    names = load_workbook(tmp_path / "small.xlsx", read_only=True).sheetnames
    assert "long (2)" in names and "events (2)" in names


def test_text_starting_with_equals_is_text_not_a_formula(tmp_path):
    from openpyxl import Workbook, load_workbook

    from bot.research.exports.xlsx import _Sheets

    wb = Workbook(write_only=True)
    sheet = _Sheets(wb, "s", ["a"])
    sheet.append(['=HYPERLINK("http://x")'])
    wb.save(tmp_path / "f.xlsx")
    cell = next(load_workbook(tmp_path / "f.xlsx")["s"].iter_rows(min_row=2)).__getitem__(0)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# -- JSON lines ----------------------------------------------------------------------------------


def test_json_lines_replay_into_the_stored_answers(research, tmp_path):
    from bot.research.exports.jsonl import replay

    export(research, "jsonl", tmp_path / "events.jsonl")
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    heads = [i for i in items if i["type"] == "session"]
    assert len(heads) == len(research.sessions)
    assert {h["status"] for h in heads} == {"finished", "partial", "withdrawn", "declined"}
    rebuilt = {sid: answers for sid, answers in replay(lines).items() if answers}
    assert rebuilt == stored_answers(research)
    for who, sid in research.sessions.items():
        assert replay(lines).get(sid, {}) == research.expected[who], who
    # Events come in order within each session, and the finished ones end with their assessment.
    for sid in research.sessions.values():
        seqs = [i["seq"] for i in items if i["type"] == "event" and i["session"] == sid]
        assert seqs == list(range(1, len(seqs) + 1))
    assessed = {i["session"] for i in items if i["type"] == "assessment"}
    assert assessed == {research.sessions[w] for w in ("budi.santoso", "dewi.lestari", "agus.prasetyo", "siti")}


# -- transcripts ---------------------------------------------------------------------------------


def test_transcripts_match_the_recorded_answers(research, tmp_path):
    from interview_flows.answers import describe_answer
    from interview_flows.loader import load_flow

    export(research, "transcripts", tmp_path / "transcripts")
    files = sorted((tmp_path / "transcripts").iterdir())
    assert len(files) == len(research.sessions)
    flow = load_flow("ogmm-social-media")
    sid = research.sessions["dewi.lestari"]
    text = (tmp_path / "transcripts" / f"session-{sid:06d}.md").read_text(encoding="utf-8")
    position = 0
    for qid in [q.id for q in flow.questions if q.id in research.expected["dewi.lestari"]]:
        q = flow.question(qid)
        label = describe_answer(q, research.expected["dewi.lestari"][qid], "id")
        found = text.find(" ".join(q.text.id.split()), position)
        assert found > position, qid  # in the order asked
        assert f"> {label.splitlines()[0]}" in text[found:], qid
        position = found
    assert "## Penilaian" in text and "Tingkat kematangan:" in text
    assert "café" in text and ORG_A in text
    partial = (tmp_path / "transcripts" / f"session-{research.sessions['rina.wulandari']:06d}.md").read_text()
    assert "status: partial" in partial


def test_transcripts_can_be_a_zip(research, tmp_path):
    export(research, "transcripts", tmp_path / "t.zip")
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        assert len(zf.namelist()) == len(research.sessions)
        assert all(n.startswith("session-") and n.endswith(".md") for n in zf.namelist())


# -- REFI-QDA ------------------------------------------------------------------------------------


def test_qdpx_validates_against_the_refi_qda_schema(research, tmp_path):
    import xmlschema

    export(research, "qdpx", tmp_path / "project.qdpx")
    with zipfile.ZipFile(tmp_path / "project.qdpx") as zf:
        names = zf.namelist()
        qde = zf.read("project.qde").decode("utf-8")
        sources = {n: zf.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
    schema = xmlschema.XMLSchema(str(SCHEMA))
    schema.validate(qde)
    data = schema.to_dict(qde)
    assert len(data["Sources"]["TextSource"]) == len(research.sessions) == len(sources)
    cases = data["Cases"]["Case"]
    assert len(cases) == len(research.sessions)  # one respondent per session here
    variables = {v["@guid"]: v["@name"] for v in data["Variables"]["Variable"]}
    assert set(variables.values()) == {"respondent", "organisation", "role", "level", "session_status"}
    seen = {variables[vv["VariableRef"]["@targetGUID"]]: vv for c in cases for vv in c.get("VariableValue", [])}
    assert seen["organisation"]["TextValue"] in (ORG_A, ORG_B) and "IntegerValue" in seen["level"]
    # Every interview carries its respondent's pseudonym and organisation itself, for readers
    # (QualCoder's importer) that ignore Case/SourceRef.
    case_names = {c["@name"] for c in cases}
    by_source = {}
    for source in data["Sources"]["TextSource"]:
        values = {variables[v["VariableRef"]["@targetGUID"]]: v.get("TextValue", v.get("IntegerValue"))
                  for v in source.get("VariableValue", [])}
        by_source[source["@name"]] = values
        assert values["respondent"] in case_names and values["session_status"]
    budi = by_source[f"session-{research.sessions['budi.santoso']:06d}"]
    assert budi["organisation"] == ORG_A and budi["level"] and budi["session_status"] == "finished"
    assert "level" not in by_source[f"session-{research.sessions['rina.wulandari']:06d}"]
    codes = {c["@guid"]: c["@name"] for group in data["CodeBook"]["Codes"]["Code"] for c in group.get("Code", [])}
    assert any(name.startswith("L3.respond") for name in codes.values())


def test_qdpx_selections_cover_the_free_text_answers_and_carry_their_criteria(research, tmp_path):
    import xmlschema

    from interview_flows.loader import load_flow

    export(research, "qdpx", tmp_path / "project.qdpx")
    with zipfile.ZipFile(tmp_path / "project.qdpx") as zf:
        qde = zf.read("project.qde").decode("utf-8")
        data = xmlschema.XMLSchema(str(SCHEMA)).to_dict(qde)
        codes = {c["@guid"]: c["@name"].split()[0] for g in data["CodeBook"]["Codes"]["Code"] for c in g["Code"]}
        themes = {c["@guid"] for g in data["CodeBook"]["Codes"]["Code"] if g["@name"] == "Tema (otomatis)" for c in g["Code"]}
        flow = load_flow("ogmm-social-media")
        coded = 0
        for source in data["Sources"]["TextSource"]:
            text = zf.read("sources/" + source["@plainTextPath"].removeprefix("internal://")).decode("utf-8")
            for sel in source.get("PlainTextSelection", []):
                if {c["CodeRef"]["@targetGUID"] for c in sel.get("Coding", [])} & themes:
                    continue  # automatic themes: tests/test_research_themes.py
                q = flow.question(sel["@name"])
                assert q.type == "text"
                piece = text[sel["@startPosition"] : sel["@endPosition"]]
                assert piece in (ORG_A, ORG_B) or piece.startswith("Kami membalas keluhan warga")
                criteria = {codes[c["CodeRef"]["@targetGUID"]] for c in sel.get("Coding", [])}
                assert criteria == {c for c in q.evidenced_criteria() if c in codes.values()}
                coded += bool(criteria)
    assert coded > 0


def test_qdpx_guids_are_stable_between_exports(research, tmp_path):
    export(research, "qdpx", tmp_path / "a.qdpx")
    export(research, "qdpx", tmp_path / "b.qdpx")
    import re

    def guids(p: Path) -> list[str]:
        with zipfile.ZipFile(p) as zf:
            return re.findall(r'guid="([^"]+)"', zf.read("project.qde").decode())

    assert guids(tmp_path / "a.qdpx") == guids(tmp_path / "b.qdpx")


# -- pseudonymity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_pseudonymous_exports_carry_no_id_name_or_username(research, tmp_path, fmt):
    result = export(research, fmt, tmp_path / OUT[fmt])
    data = b"".join(all_bytes(p) for p in result.paths)
    for secret in research.secrets():
        assert secret.encode() not in data, (fmt, secret)
        assert secret.encode("utf-16-le") not in data, (fmt, secret)


def test_identifying_exports_include_identity_and_say_so(research, tmp_path):
    result = export(research, "csv", tmp_path / "id.csv", identify=True)
    text = (tmp_path / "id.csv").read_text(encoding="utf-8")
    assert result.identify and "Siti Rahmawati" in text and "987654321" in text and "budi.santoso" in text
    header = text.splitlines()[0].split(",")
    assert header[-4:] == ["respondent_channel", "respondent_external_id", "respondent_name", "respondent_username"]
    done = cli(
        research,
        ["export", "--study", research.code, "--format", "jsonl", "--out", str(tmp_path / "id.jsonl"), "--identify"],
    )
    assert done.returncode == 0, done.stderr
    assert "IDENTIFYING" in done.stderr and "Telegram ids" in done.stderr
    assert "siti_rahma" in (tmp_path / "id.jsonl").read_text(encoding="utf-8")


def test_the_same_respondent_gets_the_same_pseudonym_and_the_key_lives_in_the_database(research, tmp_path):
    from bot.research.pseudonyms import KEY_NAME

    export(research, "csv", tmp_path / "a.csv")
    export(research, "csv", tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    store = research.store()
    try:
        key = store.meta(KEY_NAME)
    finally:
        store.close()
    assert key and len(bytes.fromhex(key)) == 32


# -- deletion --------------------------------------------------------------------------------------


def test_after_delete_the_respondent_is_absent_from_every_export(tmp_path):
    fresh = build_research(tmp_path / "db")
    before = export(fresh, "jsonl", tmp_path / "before.jsonl")
    store = fresh.store()
    try:
        rid = store.db.execute("select id from respondents where external_id = ?", ["987654321"]).fetchone()[0]
        heads = [
            json.loads(line)
            for line in (tmp_path / "before.jsonl").read_text().splitlines()
            if '"type":"session"' in line
        ]
        pseudonym = next(h["respondent"] for h in heads if h["session"] == fresh.sessions["siti"])
        assert store.delete_respondent(rid) == 1
    finally:
        store.close()
    for fmt in FORMATS:
        result = export(fresh, fmt, tmp_path / f"after-{OUT[fmt]}")
        data = b"".join(all_bytes(p) for p in result.paths)
        assert pseudonym.encode() not in data, fmt
        if fmt == "jsonl":
            lines = (tmp_path / f"after-{OUT[fmt]}").read_text().splitlines()
            sessions = {json.loads(line)["session"] for line in lines}
            assert fresh.sessions["siti"] not in sessions and result.sessions == before.sessions - 1


# -- the command line ----------------------------------------------------------------------------


def cli(research: Research, args: list[str]) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "MATANG_DB": str(research.db)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_export_command_writes_every_format(research, tmp_path):
    for fmt in FORMATS:
        out = tmp_path / OUT[fmt]
        done = cli(research, ["export", "--study", research.code, "--format", fmt, "--out", str(out)])
        assert done.returncode == 0, (fmt, done.stderr)
        assert out.exists() and "pseudonymous" in done.stdout and done.stderr == ""


def test_export_of_an_unknown_study_exits_2_with_one_line(research, tmp_path):
    done = cli(research, ["export", "--study", "nosuchstudy", "--format", "csv", "--out", str(tmp_path / "x.csv")])
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["matang: unknown study 'nosuchstudy' (see `matang study list`)"]
    assert not (tmp_path / "x.csv").exists()


def test_csv_to_standard_output(research):
    done = cli(research, ["export", "--study", research.code, "--format", "csv", "--out", "-"])
    assert done.returncode == 0
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0][0] == "study" and len(rows) > 100
    assert "pseudonymous" in done.stderr


def test_a_failed_export_leaves_no_half_written_file(research, tmp_path, monkeypatch):
    from bot.research.exports import base

    def broken(self, *a, **k):
        yield from ()
        raise RuntimeError("disk on fire")

    # Both readings of answers fail (the long CSV reads plain rows, the other formats AnswerRows).
    monkeypatch.setattr(base.Job, "sessions_with_answers", broken)
    monkeypatch.setattr(base.Job, "sessions_with_answer_rows", broken)
    with pytest.raises(RuntimeError):
        export(research, "csv", tmp_path / "long.csv")
    assert list(tmp_path.iterdir()) == []
