"""Probes and choice limits through the channels, and probes in every export format.

The terminal runs through :class:`bot.terminal.TerminalInterview` on scripted standard input with
a real SQLite file; Telegram runs the real bot against the fake Bot API server; exports are read
back from the files they write.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from bot.store import Store
from interview_flows.answers import answer_parts
from interview_flows.engine import Interview
from interview_flows.loader import load_flow, load_flow_file
from tests.telegram_helpers import answer, answers_in, asked, consent, eventually, matang_bot, open_record

FLOW_FILE = Path(__file__).parent / "flows" / "probes.yaml"
EXAMPLE = "Minggu lalu warga melapor lampu jalan padam; kami teruskan ke dinas dan menyala esok harinya."


def _terminal(db: Path, lines: list[str], flow=None, lang: str = "id", code: str | None = None) -> tuple[str, object]:
    from bot.terminal import TerminalInterview

    store = Store.open(db)
    out = io.StringIO()
    try:
        run = TerminalInterview(
            store,
            flow or load_flow_file(FLOW_FILE),
            lang,
            stdin=io.StringIO("".join(f"{x}\n" for x in lines)),
            stdout=out,
            user="budi",
            study_code=code,
        )
        record = run.run(new=True)
    finally:
        store.close()
    return out.getvalue(), record


def test_terminal_refuses_a_third_choice_and_asks_the_probe_once(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    screen, record = _terminal(db, ["ya", "1,2,3", "1,2", "ada", EXAMPLE, "1", "kirim"])
    assert "! Mohon pilih paling banyak 2; Bapak/Ibu memilih 3." in screen
    assert screen.count("Bisa Bapak/Ibu ceritakan satu contoh yang terjadi baru-baru ini?") == 1
    assert "Jawaban Bapak/Ibu tadi: “ada”" in screen
    assert record.state == "finished"
    store = Store.open(db)
    try:
        rows = {r["question_id"]: r for r in store.answer_rows(record.id)}
        value = json.loads(rows["how"]["value"])
        assert answer_parts(value) == [{"kind": "text", "text": "ada"}, {"kind": "probe", "text": EXAMPLE}]
        assert rows["how"]["times_changed"] == 0  # one answer in two parts, not a change
        kinds = [e["kind"] for e in store.events(record.id) if e["question_id"] == "how"]
        assert kinds == ["answer", "probe"]
    finally:
        store.close()


def test_terminal_probe_in_english_can_be_skipped_with_an_empty_line(tmp_path: Path) -> None:
    screen, record = _terminal(tmp_path / "t.db", ["yes", "2", "fine", "", "2", "send"], lang="en")
    assert "Could you tell us about one recent example?" in screen
    assert record.state == "finished"
    assert answer_parts(record.session.answers["how"])[1] == {"kind": "probe", "skipped": True}
    assert "(follow-up skipped)" in screen  # the summary shows that it was offered


async def test_telegram_refuses_a_tick_past_the_limit_and_asks_the_probe(api, tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    async with matang_bot(api, db, flow=str(FLOW_FILE)) as (_, store):
        user = api.user(2001, language_code="id")
        await consent(user)
        record = await asked(user, store)
        question = user.last_message
        for label in ("Berita kegiatan", "Data kinerja"):
            await user.press_button(label, question)
            await user.next_event(lambda e: e.kind == "edited")
        await user.press_button("Jawaban pertanyaan", question)
        third = list(api.callback_queries.values())[-1]
        refused = await eventually(lambda: third["answer"], what="the answer to the third tick")
        assert "Sudah 2 pilihan" in refused["text"] and refused.get("show_alert") in (True, "true", "True")
        assert open_record(store, 2001).draft == ["news", "data"]
        await user.press_button("Selesai", question)
        await user.next_message()
        assert answers_in(db)["content"] == ["news", "data"]
        await answer(user, store, "sudah")  # thin: the probe follows
        probe = user.last_message
        assert "Bisa Bapak/Ibu ceritakan satu contoh yang terjadi baru-baru ini?" in probe.plain_text
        assert "Jawaban Bapak/Ibu tadi: “sudah”" in probe.plain_text
        assert probe.buttons and probe.buttons[0][0].text == "Lewati"
        await answer(user, store, EXAMPLE)
        assert "SOP" in user.last_message.plain_text
    assert answer_parts(answers_in(db)["how"]) == [
        {"kind": "text", "text": "sudah"},
        {"kind": "probe", "text": EXAMPLE},
    ]
    del record


# --- exports --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probed_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """A study on the main interview with one respondent whose open answers are thin: the first
    probe answered, the others skipped."""
    from bot.research.studies import create_study

    from .test_research_support import answer_line

    root = tmp_path_factory.mktemp("probed")
    db = root / "m.db"
    store = Store.open(db)
    try:
        study = create_study(store, "Uji probe", code="probe01")
        flow = load_flow(study.flow_id, study.flow_version)
    finally:
        store.close()
    engine = Interview(flow)
    s = engine.new_session("id")
    engine.start(s)
    lines, probes = [], 0
    while s.state == "asking":
        q = engine.current(s)
        if q is None:  # the final check: send
            lines.append("kirim")
            engine.finish(s)
            break
        if engine.probing(s):
            line = EXAMPLE if probes == 0 else ""
            probes += 1
        elif q.type == "text" and q.probe is not None:
            line = "sudah"
        else:
            line = answer_line(q, 0.6, "Diskominfo Kota Contoh")
        lines.append(line)
        if line == "" and q.skippable:
            engine.skip(s)
        else:
            from interview_flows.answers import parse_text_answer

            engine.answer(s, parse_text_answer(q, line, "id"))
    assert probes == 6
    _, record = _terminal(db, ["ya", *lines], flow=flow, code="probe01")
    assert record.state == "finished"
    return db, "probe01", record.id


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _export(db: Path, code: str, fmt: str, out: Path):
    from bot.research.exports import export_study

    store = Store.open(db)
    try:
        return export_study(store, code, fmt, out)
    finally:
        store.close()


def test_probe_answers_are_in_the_long_and_wide_csv(probed_study, tmp_path: Path) -> None:
    db, code, _ = probed_study
    _export(db, code, "csv", tmp_path / "long.csv")
    rows = _rows(tmp_path / "long.csv")
    first = next(r for r in rows if r["question_id"] == "l1_how")
    follow = next(r for r in rows if r["question_id"] == "l1_how__probe")
    assert first["value"] == "sudah"
    assert follow["value"] == EXAMPLE and follow["question_text"].startswith("Bisa Bapak/Ibu ceritakan satu contoh")
    skipped = next(r for r in rows if r["question_id"] == "main_challenge__probe")
    assert skipped["value"] == "(dilewati)"
    _export(db, code, "csv-wide", tmp_path / "wide.csv")
    wide = _rows(tmp_path / "wide.csv")[0]
    assert wide["l1_how"] == "sudah" and wide["l1_how__probe"] == EXAMPLE
    book = _rows(tmp_path / "wide.codebook.csv")
    probe_row = next(r for r in book if r["column"] == "l1_how__probe")
    assert probe_row["type"] == "probe" and probe_row["flow_versions"] == "1.1.0"
    # The codebook says which versions a column belongs to: old questions in both, new ones in 1.1.0.
    assert next(r for r in book if r["column"] == "l3_answering")["flow_versions"] == "1.0.0 1.1.0"
    assert next(r for r in book if r["column"] == "platforms__own_app")["flow_versions"] == "1.1.0"
    assert next(r for r in book if r["column"] == "platforms__instagram")["flow_versions"] == "1.0.0 1.1.0"


def test_probe_answers_are_in_jsonl_transcripts_and_qdpx(probed_study, tmp_path: Path) -> None:
    from bot.research.exports.jsonl import replay

    db, code, session_id = probed_study
    _export(db, code, "jsonl", tmp_path / "e.jsonl")
    lines = (tmp_path / "e.jsonl").read_text("utf-8").splitlines()
    events = [json.loads(x) for x in lines if '"type":"event"' in x]
    probe_events = [e for e in events if e["kind"] in ("probe", "probe_skip")]
    assert [e["kind"] for e in probe_events] == ["probe"] + ["probe_skip"] * 5
    store = Store.open(db)
    try:
        stored = {r["question_id"]: json.loads(r["value"]) for r in store.answer_rows(session_id)}
    finally:
        store.close()
    assert replay(lines)[session_id] == stored
    _export(db, code, "transcripts", tmp_path / "t.zip")
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        text = zf.read(zf.namelist()[0]).decode("utf-8")
    assert "*Pertanyaan lanjutan: Bisa Bapak/Ibu ceritakan satu contoh unggahan minggu lalu" in text
    assert f"> {EXAMPLE}" in text
    _export(db, code, "qdpx", tmp_path / "p.qdpx")
    with zipfile.ZipFile(tmp_path / "p.qdpx") as zf:
        source_name = next(n for n in zf.namelist() if n.startswith("sources/"))
        source = zf.read(source_name).decode("utf-8")
        project = zf.read("project.qde").decode("utf-8")
    start = source.index(EXAMPLE)
    # The follow-up is a selection of its own, on exactly its words.
    assert f'startPosition="{start}" endPosition="{start + len(EXAMPLE)}"' in project


def test_a_session_begun_on_1_0_0_finishes_scores_and_exports_on_1_0_0(tmp_path: Path) -> None:
    from bot.interviews import assessment_of
    from bot.research.studies import create_study

    from .test_research_support import script

    old = load_flow("ogmm-social-media", "1.0.0")
    db = tmp_path / "m.db"
    store = Store.open(db)
    try:
        create_study(store, "Gelombang 1", code="wave01")
    finally:
        store.close()
    lines, answers = script(old, 0.6, "Diskominfo Kota Contoh")
    # Half the interview on 1.0.0, then input ends (paused); the rest with the newest flow loaded.
    _, record = _terminal(db, ["ya", *lines[:20]], flow=old, code="wave01")
    assert record.state == "paused" and record.session.flow_version == "1.0.0"
    from bot.terminal import TerminalInterview

    store = Store.open(db)
    try:
        out = io.StringIO()
        run = TerminalInterview(
            store,
            load_flow("ogmm-social-media"),
            "id",
            stdin=io.StringIO("".join(f"{x}\n" for x in lines[20:])),
            stdout=out,
            user="budi",
            study_code="wave01",
        )
        done = run.run()
        assert done is not None and done.state == "finished" and done.session.flow_version == "1.0.0"
        assert done.session.answers == answers
        # Scored with 1.0.0: l2_corrections is a single choice there, a multiple choice in 1.1.0.
        assert isinstance(done.session.answers["l2_corrections"], str)
        assert assessment_of(done).level == assess_old(old, answers)
    finally:
        store.close()
    _export(db, "wave01", "csv", tmp_path / "long.csv")
    rows = [r for r in _rows(tmp_path / "long.csv") if r["session"] == str(done.id)]
    assert {r["flow_version"] for r in rows} == {"1.0.0"}
    corrections = next(r for r in rows if r["question_id"] == "l2_corrections")
    assert corrections["label"] == old.question("l2_corrections").choice(corrections["value"]).label.id


def assess_old(flow, answers) -> int:
    from scoring.assessment import assess

    return assess(flow, answers).level
