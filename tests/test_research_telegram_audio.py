"""/export in Telegram sends the audio of voice answers with the data, as `matang export` writes it.

A respondent answers the open question by voice through the real bot and the fake Bot API; the
researcher's /export of csv, csv-wide, xlsx and jsonl is then one ZIP holding the file and its
``…-audio/`` folder. When data and audio together pass Telegram's 50 MB upload limit, the data
comes alone and the reply says why and points to `matang export`.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from bot import recordings
from bot.research.studies import create_study
from bot.store import Store, now
from interview_flows.loader import load_flow_file, register_flow

from .telegram_helpers import SMALL, consent, matang_bot, run_interview, send_answers

RESEARCHER = 7701
VOICE = b"OggS\x00\x02" + bytes(range(256)) * 64


async def interview_with_voice(api, store, user_id: int) -> None:
    user = api.user(user_id)
    await consent(user, start="/start audio1")
    await run_interview(user, store, {"has_team": "no", "platforms": ["x"]}, stop=lambda q: q.id == "example")
    user.skip()
    await user.send_voice(duration=42, data=VOICE)
    await user.next_message()  # the confirmation
    await user.next_message()  # the final check
    await send_answers(user, store)
    await user.wait_for(lambda m: m.kind == "photo")  # the result and its chart: finished


async def export(api, fmt: str):
    researcher = api.user(RESEARCHER, language_code="id")
    researcher.skip()
    await researcher.send(f"/export audio1 {fmt}")
    return await researcher.next_message(timeout=30), researcher


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "m.db"
    register_flow(load_flow_file(SMALL))
    store = Store.open(db)
    create_study(store, "Audio", code="audio1", flow_id="small-test")
    store.close()
    return db


async def test_export_in_telegram_is_one_zip_with_the_file_and_its_audio_folder(api, db):
    async with matang_bot(api, db, researchers=str(RESEARCHER)) as (_, store):
        await interview_with_voice(api, store, 3301)
        (audio,) = sorted(recordings.files_dir_for(db).iterdir())
        for fmt, data_files in (("csv", ["matang-audio1-csv.csv"]),
                                ("csv-wide", ["matang-audio1-csv-wide.csv", "matang-audio1-csv-wide.codebook.csv"]),
                                ("xlsx", ["matang-audio1-xlsx.xlsx"]),
                                ("jsonl", ["matang-audio1-jsonl.jsonl"])):
            reply, _ = await export(api, fmt)
            assert reply.kind == "document" and reply.filename == f"matang-audio1-{fmt}.zip", fmt
            assert "1 rekaman suara" in reply.caption and "tanpa identitas" in reply.caption
            with zipfile.ZipFile(io.BytesIO(reply.document)) as zf:
                folder = f"matang-audio1-{fmt}-audio"
                assert sorted(zf.namelist()) == sorted([*data_files, f"{folder}/{audio.name}"]), fmt
                assert zf.read(f"{folder}/{audio.name}") == VOICE
                if fmt == "csv":
                    rows = list(csv.DictReader(io.StringIO(zf.read(data_files[0]).decode("utf-8"))))
                    (row,) = [r for r in rows if r["question_id"] == "example"]
                    assert row["recording_files"] == audio.name  # the name points into the folder beside it
                if fmt == "csv-wide":
                    (row,) = csv.DictReader(io.StringIO(zf.read(data_files[0]).decode("utf-8")))
                    assert (row["example__recording_files"], row["example__recording_seconds"]) == (audio.name, "42")
                if fmt == "jsonl":
                    lines = [json.loads(x) for x in zf.read(data_files[0]).decode("utf-8").splitlines()]
                    (rec,) = [x for x in lines if x["type"] == "recording"]
                    assert zf.read(rec["path"]) == VOICE
        # A study without recordings still gets the plain file, as before.
        setup = Store.open(db)
        create_study(setup, "Tanpa suara", code="quiet1", flow_id="small-test")
        setup.close()
        researcher = api.user(RESEARCHER, language_code="id")
        researcher.skip()
        await researcher.send("/export quiet1 csv")
        plain = await researcher.next_message(timeout=30)
        assert plain.filename == "matang-quiet1-csv.csv" and "rekaman" not in plain.caption


async def test_audio_above_the_50_mb_upload_limit_is_left_out_and_the_reply_says_so(api, db):
    async with matang_bot(api, db, researchers=str(RESEARCHER)) as (_, store):
        await interview_with_voice(api, store, 3302)
        # Three more long recordings of the same answer (each under the 20 MB a bot may fetch),
        # kept the way the voice handler keeps them: 57 MB of audio in all.
        (sid,) = [r[0] for r in store.db.execute("select id from sessions").fetchall()]
        big = b"OggS" + b"\x01" * (19 * 1024 * 1024)
        for _ in range(3):
            path = recordings.keep_audio(store.db, big, "audio/ogg")
            with store.db.atomic():
                recordings.add_recording(store.db, sid, "example", path, big, mime_type="audio/ogg",
                                         duration=1200, recorded_at=now())
        reply, researcher = await export(api, "csv")
        assert reply.kind == "document" and reply.filename == "matang-audio1-csv.csv"  # the data alone
        assert len(reply.document) < 1024 * 1024
        note = await researcher.next_message(timeout=30)
        assert "4 berkas, 57 MB" in note.text and "50 MB" in note.text
        assert "matang export --study audio1 --format csv" in note.text
        assert "recording_files" in note.text
