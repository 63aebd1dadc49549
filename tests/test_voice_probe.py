"""A voice note as the answer to a probe (the follow-up asked once after a thin open answer).

Through the real bot against the fake Bot API: the recording becomes the probe's part of the
answer (the typed first part kept as it was), is confirmed, shown in the review, leaves no old
button tappable, and goes into every export as the probe's recording; /delete erases it. A probe
whose voice note could not be fetched can still be skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from bot.recordings import files_dir_for
from bot.research.exports import export_study
from bot.research.studies import create_study
from bot.store import Store
from bot.texts import t
from interview_flows.answers import answer_parts
from interview_flows.loader import load_flow_file, register_flow

from .telegram_helpers import answer, answers_in, asked, consent, eventually, matang_bot, rows, send_answers

FLOW = str(Path(__file__).parent / "flows" / "probes.yaml")
VOICE = b"OggS\x00\x02" + bytes(range(256)) * 30
PROBE_TEXT = "Bisa Bapak/Ibu ceritakan satu contoh yang terjadi baru-baru ini?"


@pytest.fixture
def study_db(tmp_path: Path) -> Path:
    """A database with a study on the probe flow (code ``lanjut1``)."""
    db = tmp_path / "m.db"
    register_flow(load_flow_file(FLOW))
    store = Store.open(db)
    create_study(store, "Suara lanjutan", code="lanjut1", flow_id="probe-test")
    store.close()
    return db


async def reach_probe(user, store, lang: str = "id") -> None:
    """Consent, tick one content type, answer the open question thinly: the probe is asked."""
    await consent(user, lang, start="/start lanjut1")
    await answer(user, store, ["news"])
    await answer(user, store, "sudah")
    await asked(user, store)


def buttons_left(api, chat: int) -> list[tuple[int, list[str]]]:
    """Every bot message in the chat that still carries inline buttons, with their texts."""
    return [(m.message_id, [b.text for row in m.buttons for b in row])
            for m in api.chat_log(chat).messages.values() if m.buttons and not m.deleted]


async def test_a_voice_note_answers_the_probe_and_keeps_the_typed_first_part(api, study_db):
    async with matang_bot(api, study_db, flow=FLOW) as (_, store):
        user = api.user(3201)
        await reach_probe(user, store)
        probe = user.last_message
        assert PROBE_TEXT in probe.plain_text and [b.text for b in probe.buttons[0]] == ["Lewati"]
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        assert (await user.next_message()).text == "🎙 Jawaban suara diterima (0:42)."
        record = await asked(user, store)
        assert record.session.cursor == "done"  # the next question: the probe is not asked again
        # The probe's message shows its answer in words and loses its Lewati button; the only
        # buttons left in the chat are those of the question now asked.
        shown = await eventually(lambda: (m := api.chat_log(3201).messages[probe.message_id]) and not m.buttons and m)
        assert shown.plain_text.endswith("✅ sudah\n+ jawaban suara 🎙 0:42")
        assert [mid for mid, _ in buttons_left(api, 3201)] == [record.question_message_id]
        user.skip()
        await user.send("/review")
        review = await user.wait_for(lambda m: (m.text or "").startswith("<b>" + t("review_title", "id")))
        assert "→ <b>sudah\n+ jawaban suara 🎙 0:42</b>\n" in review.text + "\n"
        assert "[jawaban suara" not in review.text  # never the stored placeholder
    value = answers_in(study_db)["how"]
    assert answer_parts(value) == [{"kind": "text", "text": "sudah"}, {"kind": "probe", "text": "[jawaban suara, 0:42]"}]
    assert rows(study_db, "select question_id, part, duration from recordings") == [("how", 2, 42)]
    kinds = rows(study_db, "select kind from events where question_id = 'how' order by id")
    assert [k for (k,) in kinds] == ["answer", "probe"]


async def test_a_probe_whose_voice_note_failed_can_still_be_skipped(api, study_db):
    async with matang_bot(api, study_db, flow=FLOW) as (_, store):
        user = api.user(3202, language_code="en")
        await reach_probe(user, store, "en")
        probe = user.last_message
        user.skip()
        api.fail_next("getFile", 400, "Bad Request: wrong file_id or the file is temporarily unavailable")
        await user.send_voice(duration=9, data=VOICE)
        assert (await user.next_message()).text == t("tg_voice_failed", "en")
        user.skip()
        await user.press_button("Skip", probe)
        await user.next_message()
        record = await asked(user, store)
        assert record.session.cursor == "done"
        shown = await eventually(lambda: (m := api.chat_log(3202).messages[probe.message_id]) and not m.buttons and m)
        assert "⏭" in shown.plain_text
        assert [mid for mid, _ in buttons_left(api, 3202)] == [record.question_message_id]
    assert answer_parts(answers_in(study_db)["how"])[1] == {"kind": "probe", "skipped": True}
    assert rows(study_db, "select count(*) from recordings") == [(0,)]


async def test_a_voice_note_sent_again_to_the_question_after_its_probe_keeps_both_parts(api, study_db):
    """Back at a question whose probe was answered by voice, another voice note adds a recording
    to the first part: the typed words and the probe's recording stay."""
    async with matang_bot(api, study_db, flow=FLOW) as (_, store):
        user = api.user(3203)
        await reach_probe(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        await user.next_message()
        await asked(user, store)
        user.skip()
        await user.send("/back")
        await user.next_message()
        record = await asked(user, store)
        assert record.session.cursor == "how"
        user.skip()
        await user.send_voice(duration=7, data=VOICE[:500])
        assert (await user.next_message()).text == "🎙 Jawaban suara diterima (0:07)."
        record = await asked(user, store)
        assert record.session.cursor == "done"
        user.skip()
        await user.send("/review")
        review = await user.wait_for(lambda m: (m.text or "").startswith("<b>" + t("review_title", "id")))
        assert "→ <b>sudah\n+ jawaban suara 🎙 0:42</b> + 🎙 0:07" in review.text
    assert answer_parts(answers_in(study_db)["how"])[0] == {"kind": "text", "text": "sudah"}
    assert rows(study_db, "select part, duration from recordings order by id") == [(2, 42), (1, 7)]


async def test_the_report_written_in_the_terminal_of_a_voice_session_shows_no_stored_data(api, study_db, tmp_path):
    """`matang report --session N` on a Telegram session answered partly by voice: the report is
    made, and no stored shape of an answer in parts (JSON, part kinds, placeholders) leaks into it."""
    from click.testing import CliRunner
    from pypdf import PdfReader

    from bot.cli import cli

    async with matang_bot(api, study_db, flow=FLOW) as (_, store):
        user = api.user(3205)
        await reach_probe(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        await user.next_message()
        await answer(user, store, "yes")
        await send_answers(user, store)  # the final check: sent
        (sid,) = [r[0] for r in store.db.execute("select id from sessions where state = 'finished'").fetchall()]
    out = tmp_path / "r.pdf"
    run = CliRunner().invoke(cli, ["report", "--session", str(sid), "--out", str(out), "--db", str(study_db)])
    assert run.exit_code == 0, run.output
    text = "\n".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert "Tingkat kematangan" in text
    for raw in ('{"', "parts", "kind", "probe", "[jawaban suara"):
        assert raw not in text, raw


async def test_the_probe_recording_is_in_every_export_and_erased_by_delete(api, study_db, tmp_path):
    import xmlschema

    out = tmp_path / "out"
    async with matang_bot(api, study_db, flow=FLOW) as (_, store):
        user = api.user(3204)
        await reach_probe(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        await user.next_message()
        await answer(user, store, "yes")  # the last question: the interview ends
        (audio,) = sorted(files_dir_for(study_db).iterdir())
        name = audio.name
        for fmt, file in (("csv", "long.csv"), ("csv-wide", "wide.csv"), ("jsonl", "events.jsonl"),
                          ("transcripts", "t.zip"), ("qdpx", "p.qdpx"), ("xlsx", "book.xlsx")):
            export_study(store, "lanjut1", fmt, out / file)
        user.skip()
        await user.send("/delete")
        prompt = await user.wait_for(lambda m: m.text == t("tg_delete_confirm", "id"))
        user.skip()
        await user.press_button(t("tg_delete_yes", "id"), prompt)
        await user.next_event(lambda e: e.kind == "edited")
        assert not audio.exists()
    assert rows(study_db, "select count(*) from recordings") == [(0,)]
    assert hashlib.sha256(VOICE).hexdigest().encode() not in study_db.read_bytes()

    long = list(csv.DictReader((out / "long.csv").open(encoding="utf-8")))
    first = next(r for r in long if r["question_id"] == "how")
    follow = next(r for r in long if r["question_id"] == "how__probe")
    assert (first["value"], first["recording_files"]) == ("sudah", "")  # the typed part has no recording
    assert (follow["value"], follow["recording_files"], follow["recording_seconds"]) == (
        "[jawaban suara, 0:42]", name, "42")
    assert (out / "long-audio" / name).read_bytes() == VOICE

    (wide,) = list(csv.DictReader((out / "wide.csv").open(encoding="utf-8")))
    assert (wide["how"], wide["how__probe"]) == ("sudah", "[jawaban suara, 0:42]")
    assert (wide["how__recording_files"], wide["how__probe__recording_files"]) == ("", name)
    assert wide["how__probe__recording_seconds"] == "42"
    assert (out / "wide-audio" / name).read_bytes() == VOICE
    book_rows = {r["column"]: r for r in csv.DictReader((out / "wide.codebook.csv").open(encoding="utf-8"))}
    assert [book_rows[c]["type"] for c in ("how__recording_files", "how__recording_seconds",
                                           "how__probe__recording_files", "how__probe__recording_seconds")] == [
        "recording_files", "recording_seconds", "recording_files", "recording_seconds"]
    assert "pertanyaan lanjutan" in book_rows["how__probe__recording_files"]["text_id"]
    assert "follow-up" in book_rows["how__probe__recording_seconds"]["text_en"]

    import openpyxl

    book = openpyxl.load_workbook(out / "book.xlsx", read_only=True)
    header, *values = [list(r) for r in book["long"].iter_rows(values_only=True)]
    (probe_row,) = [dict(zip(header, v, strict=True)) for v in values if v[header.index("question_id")] == "how__probe"]
    assert probe_row["recording_files"] == name
    header, (wide_row,) = (lambda rs: (rs[0], rs[1:]))([list(r) for r in book["wide"].iter_rows(values_only=True)])
    assert dict(zip(header, wide_row, strict=True))["how__probe__recording_seconds"] == 42  # a number
    assert (out / "book-audio" / name).read_bytes() == VOICE

    lines = [json.loads(x) for x in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    (rec,) = [x for x in lines if x["type"] == "recording"]
    assert (rec["question_id"], rec["part"], rec["column"], rec["path"]) == ("how", 2, "how__probe", f"events-audio/{name}")

    with zipfile.ZipFile(out / "t.zip") as zf:
        (md,) = [n for n in zf.namelist() if n.endswith(".md")]
        text = zf.read(md).decode("utf-8").splitlines()
        probe_at = next(i for i, line in enumerate(text) if line.startswith("*Pertanyaan lanjutan:"))
        assert text[probe_at + 1] == f"> [jawaban suara, 0:42, berkas audio/{name}]"
        assert "> sudah" in text[:probe_at]
        assert not any(line.startswith("> [jawaban suara") for line in text[:probe_at])
        assert zf.read(f"audio/{name}") == VOICE

    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "refi-qda" / "Project.xsd"))
    with zipfile.ZipFile(out / "p.qdpx") as zf:
        qde = zf.read("project.qde").decode("utf-8")
        schema.validate(qde)
        data = schema.to_dict(qde)
        (source,) = data["Sources"]["AudioSource"]
        (selection,) = source["AudioSelection"]
        assert (selection["@name"], selection["@end"]) == ("how__probe", 42000)
        assert selection["Coding"], "the probe's recording is coded like its question"
        (text_source,) = data["Sources"]["TextSource"]
        plain = zf.read("sources/" + text_source["@plainTextPath"].removeprefix("internal://")).decode("utf-8")
        spans = {s["@name"]: plain[s["@startPosition"]:s["@endPosition"]] for s in text_source["PlainTextSelection"]}
        assert spans["how"] == "sudah"
        assert spans["how__probe"] == f"[jawaban suara, 0:42, berkas {name}]"
        assert zf.read(f"sources/{name}") == VOICE


async def test_an_old_skip_button_of_the_first_question_does_not_pass_over_the_probe(api, study_db):
    """The first question's message keeps its Lewati button when its edit was lost: tapped while
    the probe is asked, it is a stale button (said so), not a skip of the probe; the probe is then
    answered by voice."""
    async with matang_bot(api, study_db, flow=FLOW) as (_, store):
        user = api.user(3206)
        await consent(user, start="/start lanjut1")
        await answer(user, store, ["news"])
        first = user.server.chat_log(3206).messages[(await asked(user, store)).question_message_id]
        assert "Lewati" in [b.text for row in first.buttons for b in row]  # an optional question
        api.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
        await answer(user, store, "sudah")
        await asked(user, store)  # the probe, in a message of its own
        assert api.chat_log(3206).messages[first.message_id].buttons, "the lost edit left the old button"
        await user.press_button("Lewati", api.chat_log(3206).messages[first.message_id])
        query = list(api.callback_queries.values())[-1]
        said = await eventually(lambda: query["answer"], what="the answer to the old button")
        assert said["text"] == t("tg_already_answered", "id")
        await api.wait_idle()
        assert (await asked(user, store)).session.cursor == "how"  # the probe still waits
        user.skip()
        await user.send_voice(duration=12, data=VOICE)
        assert (await user.next_message()).text == "🎙 Jawaban suara diterima (0:12)."
    assert answer_parts(answers_in(study_db)["how"])[1] == {"kind": "probe", "text": "[jawaban suara, 0:12]"}
