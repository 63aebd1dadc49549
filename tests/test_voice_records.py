"""Voice answers on disk and in the operator's and researcher's commands: backup copies the audio,
health notices a missing file, ``matang delete`` removes it, the study status and report count it.

The recording is made the way the Telegram channel makes it (bot.recordings, then the answer, in
one transaction); the commands run as the installed console script.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import recordings
from bot.interviews import Interviews
from bot.research.studies import create_study
from bot.store import Store, now
from interview_flows.engine import engine_for
from interview_flows.loader import load_flow

from .telegram_helpers import default_answer

MATANG = Path(sys.executable).with_name("matang")
VOICE = b"OggS\x00\x02" + os.urandom(4096)


def matang(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    return subprocess.run([str(MATANG), *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd)


def voice_answer(store: Store, interviews: Interviews, record, duration: int = 42) -> recordings.Recording:
    """Answer the current (open) question with VOICE, as bot.telegram.voice does."""
    q = engine_for(load_flow(record.session.flow_id, record.session.flow_version)).current(record.session)
    assert q is not None and q.type == "text"
    path = recordings.keep_audio(store.db, VOICE, "audio/ogg")
    with store.db.atomic():
        rec = recordings.add_recording(store.db, record.id, q.id, path, VOICE, mime_type="audio/ogg",
                                       duration=duration, recorded_at=now())
        interviews.act(record, "answer", recordings.placeholder(duration, record.session.lang))
    return rec


@pytest.fixture
def voiced(tmp_path: Path) -> tuple[Path, recordings.Recording]:
    """A database with one finished interview of study ``voice01`` (the packaged OGMM flow, so the
    commands in their own processes know it) whose example of level 2 is a recording."""
    db = tmp_path / "matang.db"
    store = Store.open(db)
    study = create_study(store, "Suara", code="voice01", organisation="Diskominfo Uji")
    flow = load_flow(study.flow_id, study.flow_version)
    interviews = Interviews(store)
    rid = store.respondent("telegram", "555001", name="Sari")
    record = interviews.begin(rid, flow, "id", "telegram", study_code="voice01", organisation="Diskominfo Uji")
    engine = engine_for(flow)
    rec = None
    while record.state == "asking":
        q = engine.current(record.session)
        if q is None:  # the final check: send
            interviews.act(record, "finish", command="send")
        elif q.id == "l2_example":
            rec = voice_answer(store, interviews, record)
        elif q.type == "note":
            interviews.act(record, "skip")
        else:
            interviews.act(record, "answer", default_answer(q))
    store.close()
    assert rec is not None and record.state == "finished"
    return db, rec


def test_the_audio_is_kept_owner_only_under_a_random_name(voiced):
    db, rec = voiced
    folder = recordings.files_dir_for(db)
    assert (folder / rec.file).read_bytes() == VOICE
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / rec.file).stat().st_mode) == 0o600
    assert "555001" not in rec.file and "Sari" not in rec.file


def test_backup_copies_the_audio_beside_the_copy(voiced, tmp_path):
    db, rec = voiced
    out = matang("backup", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    copied = recordings.files_dir_for(tmp_path / "copy.db") / rec.file
    assert copied.read_bytes() == VOICE
    assert stat.S_IMODE(copied.stat().st_mode) == 0o600
    assert "1 audio file(s) copied" in out.stdout
    health = matang("health", "--db", str(tmp_path / "copy.db"), cwd=tmp_path)
    assert "ok audio: 1 voice answer(s), every audio file present" in health.stdout


def test_health_notices_a_missing_audio_file(voiced, tmp_path):
    db, rec = voiced
    assert "ok audio: 1 voice answer(s)" in matang("health", "--db", str(db), cwd=tmp_path).stdout
    (recordings.files_dir_for(db) / rec.file).unlink()
    out = matang("health", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 1
    line = next(x for x in out.stdout.splitlines() if x.startswith("FAIL audio:"))
    assert "1 of 1 voice answer(s) have no audio file" in line and rec.file in line and "question l2_example" in line


def test_health_fails_a_files_folder_others_may_read(voiced, tmp_path):
    db, _ = voiced
    os.chmod(recordings.files_dir_for(db), 0o755)
    out = matang("health", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 1 and "FAIL audio:" in out.stdout and "chmod 700" in out.stdout


def test_matang_delete_removes_the_audio_and_every_row_of_it(voiced, tmp_path):
    db, rec = voiced
    out = matang("delete", "--respondent", "telegram:555001", "--yes", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 voice recording(s) and their audio files" in out.stdout
    assert list(recordings.files_dir_for(db).iterdir()) == []
    store = Store.open(db)
    try:
        assert store.db.execute("select count(*) from recordings").fetchone() == (0,)
    finally:
        store.close()
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            data = path.read_bytes()
            assert rec.sha256.encode() not in data and rec.file.encode() not in data


def test_study_status_and_report_count_the_voice_answers(voiced, tmp_path):
    db, _ = voiced
    out = matang("study", "status", "voice01", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "jawaban suara: 1 dalam 1 sesi (0:42 rekaman)" in out.stdout  # the default language
    out = matang("study", "status", "voice01", "--lang", "en", "--db", str(db), cwd=tmp_path)
    assert "voice answers: 1 in 1 session(s) (0:42 of recordings)" in out.stdout
    data = json.loads(matang("study", "status", "voice01", "--json", "--db", str(db), cwd=tmp_path).stdout)
    assert (data["voice_answers"], data["voice_sessions"], data["voice_seconds"]) == (1, 1, 42)
    pdf = tmp_path / "r.pdf"
    out = matang("report", "--study", "voice01", "--out", str(pdf), "--db", str(db), "--lang", "en", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert f"Voice answers: 1 of {data['answers']} answers are recordings (1 interviews, 0:42 in all)" in text


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10 * 3600))
def test_a_duration_reads_back_from_its_clock_and_placeholder(seconds):
    shown = recordings.clock(seconds)
    parts = [int(p) for p in shown.split(":")]
    total = parts[0] * 60 + parts[1] if len(parts) == 2 else parts[0] * 3600 + parts[1] * 60 + parts[2]
    assert total == seconds
    assert all(len(p) == 2 for p in shown.split(":")[1:])
    for lang in ("id", "en"):
        assert recordings.is_placeholder(recordings.placeholder(seconds, lang))
