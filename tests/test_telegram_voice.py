"""Voice answers end to end: a voice note sent through the fake Bot API, fetched by the real bot
with getFile and the file URL, kept beside the database, confirmed, reviewed, exported, erased."""

from __future__ import annotations

import asyncio
import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest

from bot.recordings import files_dir_for
from bot.research.exports import export_study
from bot.research.studies import create_study
from bot.store import Store
from bot.texts import t
from interview_flows.loader import load_flow_file, register_flow

from .telegram_helpers import (
    SMALL,
    answer,
    answers_in,
    asked,
    consent,
    eventually,
    matang_bot,
    open_record,
    rows,
    run_interview,
    send_answers,
)

VOICE = b"OggS\x00\x02" + bytes(range(256)) * 40  # stands in for Opus audio: only the bytes matter
OPEN_FLOW = """
id: voice-test
version: "1.0"
title: {id: Uji suara, en: Voice test}
description: {id: Alur uji suara., en: A voice test flow.}
estimated_minutes: 2
consent: {id: Jawaban dipakai untuk pengujian., en: Answers are used for testing.}
thanks: {id: Terima kasih., en: Thank you.}
sections:
  - {id: a, title: {id: Bagian A, en: Part A}}
questions:
  - id: story
    section: a
    type: text
    max_length: 500
    criteria: [L3.respond]
    text: {id: "Ceritakan bagaimana tim menanggapi keluhan warga.", en: "Tell us how the team handles complaints."}
  - id: has_team
    section: a
    type: yes_no
    text: {id: "Apakah ada tim khusus?", en: "Is there a dedicated team?"}
    choices:
      - {value: "yes", label: {id: Ya, en: "Yes"}, evidence: {L3.staff: 1.0}}
      - {value: "no", label: {id: Tidak, en: "No"}, evidence: {L3.staff: 0.0}}
"""


@pytest.fixture
def open_flow(tmp_path: Path) -> str:
    path = tmp_path / "voice-flow.yaml"
    path.write_text(OPEN_FLOW, encoding="utf-8")
    return str(path)


def audio_files(db: Path) -> list[Path]:
    folder = files_dir_for(db)
    return sorted(folder.iterdir()) if folder.exists() else []


async def reach_example(user, store) -> None:
    """Answer the small flow up to its open question ``example``, the one a voice note answers."""
    await run_interview(user, store, {"has_team": "no", "platforms": ["x"]}, stop=lambda q: q.id == "example")


async def test_a_voice_note_answers_an_open_question_and_is_kept_beside_the_database(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3001)
        await consent(user)
        await reach_example(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        confirmed = await user.next_message()
        assert confirmed.text == "🎙 Jawaban suara diterima (0:42)."
        check = await user.next_message()  # the last question: the final check follows
        assert check.text.startswith(f"<i>{t('check_title', 'id')}</i>")
        await send_answers(user, store)
        (asked_id,) = [i for i, m in api.chat_log(3001).messages.items() if "Ceritakan satu contoh." in (m.text or "")]
        # The question's message shows the answer and loses its buttons, as for a typed one.
        shown = await eventually(lambda: (m := api.chat_log(3001).messages[asked_id]) and not m.buttons and m.text)
        assert shown.endswith("<b>Ceritakan satu contoh.</b>\n✅ jawaban suara 🎙 0:42")
        assert api.calls_for("getFile") and api.calls_for("getFile")[-1].ok
        await user.wait_for(lambda m: m.kind == "photo")  # the chart
        await user.send("/review")
        review = await user.wait_for(lambda m: (m.text or "").startswith("<b>" + t("review_title", "id")))
        assert "Ceritakan satu contoh.\n→ <b>jawaban suara 🎙 0:42</b>" in review.text
    files = audio_files(db)
    assert len(files) == 1
    assert files[0].read_bytes() == VOICE
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    assert "3001" not in files[0].name and files[0].suffix == ".ogg"
    (row,) = rows(db, "select question_id, part, file, mime_type, duration, size, sha256 from recordings")
    assert row == ("example", 1, files[0].name, "audio/ogg", 42, len(VOICE), hashlib.sha256(VOICE).hexdigest())
    assert answers_in(db)["example"] == "[jawaban suara, 0:42]"


async def test_text_and_a_recording_answer_the_same_question(api, tmp_path, open_flow):
    db = tmp_path / "m.db"
    async with matang_bot(api, db, flow=open_flow) as (_, store):
        user = api.user(3002, language_code="en")
        await consent(user, "en")
        await answer(user, store, "We reply to every complaint within a day.")
        await asked(user, store)
        user.skip()
        await user.send("/back")
        await user.next_message()  # the open question again, its typed answer shown
        record = await asked(user, store)
        assert record.session.cursor == "story"
        user.skip()
        await user.send_voice(duration=65, data=VOICE)
        assert (await user.next_message()).text == "🎙 Voice answer received (1:05)."
        record = await asked(user, store)
        assert record.session.cursor == "has_team"
        user.skip()
        await user.send("/review")
        review = await user.wait_for(lambda m: (m.text or "").startswith("<b>" + t("review_title", "en")))
        assert "→ <b>We reply to every complaint within a day.</b> + 🎙 1:05" in review.text
    assert answers_in(db)["story"] == "We reply to every complaint within a day."
    assert rows(db, "select question_id, duration from recordings") == [("story", 65)]


async def test_a_voice_note_to_a_closed_question_gets_the_hint_to_tap_a_button(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3003)
        await consent(user)
        await answer(user, store)  # the welcome note
        user.skip()
        await user.send_voice(duration=5, data=VOICE)
        hint = await user.next_message()
        assert hint.text == t("tg_not_text", "id") + " " + t("tg_expect_choice", "id")
        assert "Bapak/Ibu" in hint.text
        assert open_record(store, 3003).session.cursor == "has_team"
    assert not api.calls_for("getFile")
    assert rows(db, "select count(*) from recordings") == [(0,)]
    assert audio_files(db) == []


@pytest.mark.parametrize("with_size", [True, False], ids=["size-in-update", "size-from-getFile"])
async def test_a_recording_over_telegrams_20_mb_limit_is_refused_with_the_limit(api, tmp_path, with_size):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3004)
        await consent(user)
        await reach_example(user, store)
        user.skip()
        await user.send_voice(duration=1500, data=b"\0" * (25 * 1024 * 1024), with_size=with_size)
        refused = await user.next_message()
        assert "20 MB" in refused.text and "Bapak/Ibu" in refused.text
        assert ("25 MB" in refused.text) is with_size  # the size is said when the update gave it
        assert "belum tersimpan" in refused.text
        assert open_record(store, 3004).session.cursor == "example"
        # Nothing was downloaded: the size in the update, or getFile's refusal, stopped it.
        assert all(not c.ok for c in api.calls_for("getFile"))
        await user.send("Kami membalas setiap pagi.")  # the question still takes an answer
        await user.next_message()
    assert rows(db, "select count(*) from recordings") == [(0,)]
    assert audio_files(db) == []


async def test_delete_erases_the_audio_and_leaves_an_earlier_export_untouched(api, tmp_path):
    db = tmp_path / "m.db"
    register_flow(load_flow_file(SMALL))
    setup = Store.open(db)
    create_study(setup, "Suara", code="suara1", flow_id="small-test")
    setup.close()
    async with matang_bot(api, db) as (_, store):
        user = api.user(3005)
        await consent(user, start="/start suara1")
        await reach_example(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        await user.next_message()
        await user.next_message()
        (audio,) = audio_files(db)
        before = tmp_path / "before.qdpx"
        export_study(store, "suara1", "qdpx", before)
        exported = before.read_bytes()
        user.skip()
        await user.send("/delete")
        prompt = await user.wait_for(lambda m: m.text == t("tg_delete_confirm", "id"))
        user.skip()
        await user.press_button(t("tg_delete_yes", "id"), prompt)
        await user.next_event(lambda e: e.kind == "edited")
        assert not audio.exists()
    assert audio_files(db) == []
    assert rows(db, "select count(*) from recordings") == [(0,)]
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            assert VOICE[:200] not in path.read_bytes()
            assert hashlib.sha256(VOICE).hexdigest().encode() not in path.read_bytes()
            assert audio.name.encode() not in path.read_bytes()
    assert before.read_bytes() == exported
    with zipfile.ZipFile(before) as archive:
        assert any(archive.read(n) == VOICE for n in archive.namelist() if n.startswith("sources/"))
    assert json.loads(json.dumps(answers_in(db))) == {}


async def test_every_export_carries_the_voice_answer_and_its_audio(api, tmp_path):
    import csv

    import openpyxl
    import xmlschema

    db = tmp_path / "m.db"
    register_flow(load_flow_file(SMALL))
    setup = Store.open(db)
    create_study(setup, "Suara", code="suara2", flow_id="small-test")
    setup.close()
    async with matang_bot(api, db) as (_, store):
        user = api.user(3006)
        await consent(user, start="/start suara2")
        await reach_example(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        await user.next_message()
        await user.next_message()
        (audio,) = audio_files(db)
        name = audio.name
        out = tmp_path / "out"
        for fmt, file in (("csv", "long.csv"), ("jsonl", "events.jsonl"), ("transcripts", "t.zip"),
                          ("transcripts", "tdir"), ("qdpx", "p.qdpx"), ("xlsx", "book.xlsx")):
            export_study(store, "suara2", fmt, out / file)

    (row,) = [r for r in csv.DictReader((out / "long.csv").open(encoding="utf-8")) if r["question_id"] == "example"]
    assert (row["value"], row["recording_files"], row["recording_seconds"]) == ("[jawaban suara, 0:42]", name, "42")
    assert (out / "long-audio" / name).read_bytes() == VOICE

    lines = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    (rec,) = [line for line in lines if line["type"] == "recording"]
    assert rec["question_id"] == "example" and rec["part"] == 1 and rec["duration"] == 42
    assert (rec["file"], rec["path"], rec["mime_type"]) == (name, f"events-audio/{name}", "audio/ogg")
    assert (rec["size"], rec["sha256"]) == (len(VOICE), hashlib.sha256(VOICE).hexdigest())
    assert (out / rec["path"]).read_bytes() == VOICE

    line = f"> [jawaban suara, 0:42, berkas audio/{name}]"
    with zipfile.ZipFile(out / "t.zip") as zf:
        (md,) = [n for n in zf.namelist() if n.endswith(".md")]
        text = zf.read(md).decode("utf-8")
        assert line in text.splitlines()
        assert "> [jawaban suara, 0:42]" not in text.splitlines()  # the placeholder gives way to the line
        assert zf.read(f"audio/{name}") == VOICE
    assert (out / "tdir" / "audio" / name).read_bytes() == VOICE
    assert any(line in p.read_text(encoding="utf-8").splitlines() for p in (out / "tdir").glob("*.md"))

    sheet = openpyxl.load_workbook(out / "book.xlsx", read_only=True)["long"]
    header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
    (example,) = [dict(zip(header, v, strict=True)) for v in values if v[header.index("question_id")] == "example"]
    assert example["recording_files"] == name and str(example["recording_seconds"]) == "42"

    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "refi-qda" / "Project.xsd"))
    with zipfile.ZipFile(out / "p.qdpx") as zf:
        qde = zf.read("project.qde").decode("utf-8")
        schema.validate(qde)
        data = schema.to_dict(qde)
        (source,) = data["Sources"]["AudioSource"]
        assert source["@path"] == f"internal://{name}"
        assert zf.read(f"sources/{name}") == VOICE
        (selection,) = source["AudioSelection"]
        assert (selection["@name"], selection["@begin"], selection["@end"]) == ("example", 0, 42000)
        codes = {c["@guid"]: c["@name"].split()[0] for g in data["CodeBook"]["Codes"]["Code"] for c in g["Code"]}
        assert [codes[c["CodeRef"]["@targetGUID"]] for c in selection["Coding"]] == ["L3.respond"]
        assert hashlib.sha256(VOICE).hexdigest() in source["Description"]
        (case,) = data["Cases"]["Case"]
        assert source["@guid"] in {ref["@targetGUID"] for ref in case["SourceRef"]}
        (text_source,) = data["Sources"]["TextSource"]
        plain = zf.read("sources/" + text_source["@plainTextPath"].removeprefix("internal://")).decode("utf-8")
        assert f"[jawaban suara, 0:42, berkas {name}]" in plain


class HeardWords:
    """A speech engine for the test: it 'hears' the number of bytes, so its output is checkable."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, str]] = []

    def transcribe(self, audio: bytes, mime_type: str, lang: str) -> str | None:
        self.calls.append((len(audio), mime_type, lang))
        return f"rekaman {len(audio)} bita"


async def test_a_transcriber_plugged_into_the_seam_fills_the_transcript_and_nothing_else(api, tmp_path):
    db = tmp_path / "m.db"
    engine = HeardWords()
    async with matang_bot(api, db) as (app, store):
        app.bot_data["matang"].extra["transcriber"] = engine
        user = api.user(3007)
        await consent(user)
        await reach_example(user, store)
        user.skip()
        await user.send_voice(duration=42, data=VOICE)
        assert (await user.next_message()).text == "🎙 Jawaban suara diterima (0:42)."
    assert engine.calls == [(len(VOICE), "audio/ogg", "id")]
    assert rows(db, "select transcript from recordings") == [(f"rekaman {len(VOICE)} bita",)]
    assert answers_in(db)["example"] == "[jawaban suara, 0:42]"  # the typed answer is never replaced


async def test_a_voice_note_delivered_twice_is_kept_once(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3008)
        await consent(user)
        await reach_example(user, store)
        user.skip()
        update = await user.send_voice(duration=42, data=VOICE)
        assert (await user.next_message()).text == "🎙 Jawaban suara diterima (0:42)."
        await user.wait_for(lambda m: (m.text or "").startswith(f"<i>{t('check_title', 'id')}</i>"))
        sent = len(api.calls_for("sendMessage"))
        await api.redeliver(update)
        await api.wait_idle()
        assert len(api.calls_for("sendMessage")) == sent  # recognised: nothing applied or said again
    assert rows(db, "select count(*) from recordings") == [(1,)]
    assert len(audio_files(db)) == 1


async def test_a_recording_telegram_cannot_hand_over_is_asked_for_again_and_nothing_is_kept(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3009, language_code="en")
        await consent(user, "en")
        await reach_example(user, store)
        user.skip()
        api.fail_next("getFile", 400, "Bad Request: wrong file_id or the file is temporarily unavailable")
        await user.send_voice(duration=9, data=VOICE)
        assert (await user.next_message()).text == t("tg_voice_failed", "en")
        assert rows(db, "select count(*) from recordings") == [(0,)] and audio_files(db) == []
        assert open_record(store, 3009).session.cursor == "example"
        await user.send_voice(duration=9, data=VOICE)
        assert (await user.next_message()).text == "🎙 Voice answer received (0:09)."
    assert rows(db, "select duration from recordings") == [(9,)]


async def test_many_chats_sending_voice_at_once_fetch_a_few_recordings_at_a_time(api, tmp_path):
    from bot.telegram.voice import DOWNLOADS_AT_ONCE

    db = tmp_path / "m.db"
    users = []
    async with matang_bot(api, db) as (_, store):
        for n in range(DOWNLOADS_AT_ONCE * 2):
            user = api.user(3100 + n)
            await consent(user)
            await reach_example(user, store)
            user.skip()
            users.append(user)
        hold = 0.3
        api.delay("getFile", hold)  # each fetch takes a while: the ones beyond the limit must wait
        await asyncio.gather(*(u.send_voice(duration=5, data=VOICE) for u in users))
        for u in users:
            assert (await u.next_message(timeout=15)).text == "🎙 Jawaban suara diterima (0:05)."
        api.delay("getFile", None)
        arrived = sorted(c.at for c in api.calls_for("getFile"))
    assert len(arrived) == len(users)
    # At most DOWNLOADS_AT_ONCE fetches began within any one holding time.
    assert all(arrived[i + DOWNLOADS_AT_ONCE] - arrived[i] >= hold * 0.9 for i in range(len(arrived) - DOWNLOADS_AT_ONCE))
    assert rows(db, "select count(*) from recordings") == [(len(users),)]


async def test_a_voice_note_naming_the_organisation_is_refused_politely_and_it_is_typed(api, tmp_path):
    """The organisation's name groups every result: it is typed, never a recording."""
    db = tmp_path / "m.db"
    setup = Store.open(db)
    create_study(setup, "Nama", code="nama01")
    setup.close()
    async with matang_bot(api, db) as (_, store):
        user = api.user(3010)
        await consent(user, start="/start nama01")
        await answer(user, store)  # the welcome note
        assert (await asked(user, store)).session.cursor == "organisation"
        user.skip()
        await user.send_voice(duration=4, data=VOICE)
        refused = await user.next_message()
        assert refused.text == t("tg_voice_type_name", "id") and "Bapak/Ibu" in refused.text
        assert "diketik" in refused.text
        assert open_record(store, 3010).session.cursor == "organisation"
        await user.send_sticker()  # the hint for other messages does not offer a voice note here
        hint = await user.next_message()
        assert hint.text.endswith(t("tg_expect_typed", "id")) and "suara" not in hint.text
        await user.send("Diskominfo Kota Contoh")
        await user.next_message()
        assert open_record(store, 3010).session.cursor == "unit"
    assert not api.calls_for("getFile")
    assert rows(db, "select count(*) from recordings") == [(0,)] and audio_files(db) == []
    assert answers_in(db)["organisation"] == "Diskominfo Kota Contoh"
