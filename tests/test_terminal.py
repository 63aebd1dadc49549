"""The real ``matang interview`` command, driven through standard input as a user would."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import TEST_FLOWS

MATANG = [sys.executable, "-m", "bot.cli"]
SMALL = str(TEST_FLOWS / "small.yaml")


def matang(args: list[str], lines: list[str], tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``matang`` with ``lines`` on standard input in ``tmp_path``."""
    env = {**os.environ, "MATANG_DB": str(tmp_path / "matang.db")}
    return subprocess.run(
        MATANG + args,
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=timeout,
    )


def rows(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def answers(db: Path) -> dict[str, str]:
    return dict(rows(db, "select question_id, value from answers order by question_id"))


FULL = ["ya", "", "ya", "4", "1,3", "2", "5", "Kami membalas komentar setiap pagi.", "kirim"]


def test_a_whole_interview_from_standard_input(tmp_path):
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], FULL, tmp_path)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "matang.db"
    assert answers(db) == {
        "example": '"Kami membalas komentar setiap pagi."',
        "has_team": '"yes"',
        "ig_followers": '"big"',
        "platforms": '["instagram","youtube"]',
        "satisfaction": "5",
        "team_size": "4",
    }
    assert rows(db, "select state, finished_at is not null from sessions") == [("finished", 1)]
    # The summary shows the answers as labels, in Indonesian.
    assert "Terima kasih, wawancara selesai" in done.stdout
    assert "Instagram, YouTube" in done.stdout
    kinds = [k for (k,) in rows(db, "select kind from events order by id")]
    assert kinds[:2] == ["consent", "state"] and kinds.count("answer") == 6 and kinds[-1] == "state"


def test_english_interview_and_progress_line(tmp_path):
    done = matang(
        ["interview", "--flow", SMALL, "--lang", "en", "--user", "sam"],
        ["yes", "", "no", "x", "dont_know", "", "send"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "[1/6] Is there a dedicated team?" in done.stdout
    assert "[5/6] How satisfied are the leaders?" in done.stdout
    assert "Thank you, the interview is complete" in done.stdout
    assert answers(tmp_path / "matang.db")["satisfaction"] == '"dont_know"'


def test_bad_input_gets_a_clear_message_and_is_not_recorded(tmp_path):
    lines = ["ya", "", "mungkin", "", "ya", "0", "abc", "4", "instagram, tidak ada", "facebook", "2", "9"]
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], lines, tmp_path)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert '"mungkin" bukan salah satu pilihan' in out
    assert "Pertanyaan ini wajib dijawab dan tidak dapat dilewati." in out
    assert "Mohon isi angka dari 1 sampai 200." in out
    assert "Mohon jawab dengan angka" in out
    assert '"Tidak ada" tidak dapat digabungkan dengan pilihan lain.' in out
    assert "Mohon isi angka dari 1 sampai 5." in out
    db = tmp_path / "matang.db"
    assert answers(db) == {"has_team": '"yes"', "team_size": "4", "platforms": '["x"]'}
    # Refused input leaves no trace in the log either.
    assert rows(db, "select count(*) from events where kind in ('answer', 'change')") == [(3,)]


def test_pause_then_resume_at_the_same_question_and_new_starts_another(tmp_path):
    first = matang(["interview", "--flow", SMALL, "--user", "sari"], ["ya", "", "ya", "pause"], tmp_path)
    assert "Wawancara dijeda" in first.stdout
    db = tmp_path / "matang.db"
    assert rows(db, "select state, cursor from sessions") == [("paused", "team_size")]
    second = matang(["interview", "--flow", SMALL, "--user", "sari"], ["7"], tmp_path)
    assert "Melanjutkan wawancara yang belum selesai (pertanyaan 2/6)" in second.stdout
    assert "[2/6] Berapa orang anggota tim?" in second.stdout
    assert answers(db) == {"has_team": '"yes"', "team_size": "7"}
    # End of input pauses too; --new starts a second interview and leaves the first as it was.
    third = matang(["interview", "--flow", SMALL, "--user", "sari", "--new"], ["ya", "", "tidak"], tmp_path)
    assert third.returncode == 0
    assert rows(db, "select id, state, cursor from sessions order by id") == [
        (1, "paused", "platforms"),
        (2, "paused", "platforms"),
    ]


def test_back_review_and_edit_from_the_terminal(tmp_path):
    lines = ["ya", "", "ya", "4", "back", "6", "1", "review", "ubah 1", "tidak", "2", "3"]
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], lines, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Jawaban Bapak/Ibu sejauh ini:" in done.stdout
    db = tmp_path / "matang.db"
    got = answers(db)
    assert got["has_team"] == '"no"' and got["team_size"] == "6" and got["platforms"] == '["instagram"]'
    changes = rows(db, "select question_id, old_value, new_value from events where kind = 'change' order by id")
    assert changes == [("team_size", "4", "6"), ("has_team", '"yes"', '"no"')]


def test_refusing_consent_records_nothing_but_the_refusal(tmp_path):
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], ["tidak"], tmp_path)
    assert "Tidak ada jawaban yang direkam" in done.stdout
    db = tmp_path / "matang.db"
    assert rows(db, "select state from sessions") == [("withdrawn",)]
    assert rows(db, "select count(*) from answers") == [(0,)]
    assert rows(db, "select kind, new_value from events order by id") == [
        ("consent", '"refused"'),
        ("state", '"withdrawn"'),
    ]


def test_unknown_flow_and_unreadable_flow_file_exit_2(tmp_path):
    done = matang(["interview", "--flow", "no-such-flow"], [], tmp_path)
    assert done.returncode == 2 and "unknown flow 'no-such-flow'" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [", encoding="utf-8")
    done = matang(["interview", "--flow", str(bad)], [], tmp_path)
    assert done.returncode == 2 and "not valid YAML" in done.stderr and "Traceback" not in done.stderr


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


@pytest.mark.parametrize("kill_after", [1, 3])
def test_sigkill_between_answers_loses_nothing_and_resumes_at_the_same_question(tmp_path, kill_after):
    db = tmp_path / "matang.db"
    env = {**os.environ, "MATANG_DB": str(db)}
    proc = subprocess.Popen(
        MATANG + ["interview", "--flow", SMALL, "--user", "sari"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    given = ["ya", "", "ya", "4", "1,3"][: 2 + kill_after]
    for line in given:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
    expected = {"has_team": '"yes"', "team_size": "4", "platforms": '["instagram","youtube"]'}
    wanted = dict(list(expected.items())[:kill_after])

    def committed() -> bool:
        try:
            return answers(db) == wanted
        except sqlite3.OperationalError:  # the schema is not there yet
            return False

    wait_for(committed)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert answers(db) == wanted
    cursor = rows(db, "select cursor from sessions")[0][0]
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], FULL[2 + kill_after :], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Melanjutkan wawancara yang belum selesai" in done.stdout
    first_question = {
        "team_size": "Berapa orang anggota tim?",
        "platforms": "Platform apa saja?",
        "ig_followers": "Berapa pengikut Instagram?",
    }[cursor]
    assert first_question in done.stdout.split("\n\n", 2)[1] or first_question in done.stdout
    assert rows(db, "select state from sessions") == [("finished",)]
    # Every answer exactly once.
    assert rows(db, "select count(*), count(distinct question_id) from answers") == [(6, 6)]


def test_enter_on_a_question_shown_again_keeps_its_answer(tmp_path):
    # has_team yes, team_size 4, then back: team size is shown with its answer; Enter keeps it.
    lines = ["ya", "", "ya", "4", "kembali", "", "pause"]
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], lines, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Jawaban saat ini: 4 (Enter = tetap)" in done.stdout
    assert "wajib dijawab" not in done.stdout
    db = tmp_path / "matang.db"
    assert answers(db) == {"has_team": '"yes"', "team_size": "4"}
    assert rows(db, "select state, cursor from sessions") == [("paused", "platforms")]
    # Back shows a smaller number than the question it left.
    out = done.stdout
    assert out.index("[3/6] Platform apa saja?") < out.rindex("[2/6] Berapa orang anggota tim?")


def test_dont_know_by_its_number_or_words_and_no_internal_key_shown(tmp_path):
    # ig_followers has two choices: "3" is "Tidak tahu"; the scale offers 6 for it.
    lines = ["ya", "", "tidak", "1", "3", "tidak tahu", "", "kirim"]
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], lines, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "   3. Tidak tahu" in done.stdout and "6 = Tidak tahu" in done.stdout
    assert "dont_know" not in done.stdout
    stored = answers(tmp_path / "matang.db")
    assert stored["ig_followers"] == stored["satisfaction"] == '"dont_know"'


def test_the_final_check_reviews_changes_and_sends_only_when_asked(tmp_path):
    # After the last answer: the check. Enter and a stray word change nothing; "1" lists the
    # answers; "ubah 2" asks that question again and then comes back to the check; "kembali" goes
    # to the last question; "2" sends. Nothing is scored before that.
    lines = FULL[:-1] + ["", "apa ini", "1", "ubah 2", "7", "kembali", "", "2"]
    done = matang(["interview", "--flow", SMALL, "--user", "sari"], lines, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    check = out.index("── Periksa sebelum dikirim ──")
    assert "Semua pertanyaan sudah dijawab (6 jawaban)" in out[check:]
    assert "2. Kirim jawaban dan lihat hasilnya: ketik 2 atau kirim." in out[check:]
    assert out[check:].count("! Ketik 1 (periksa jawaban), 2 (kirim), ubah dan nomor jawaban, kembali, atau jeda.") == 2
    assert out.index("Jawaban Bapak/Ibu sejauh ini:") > check
    # The check came back after the change and after "kembali" (Enter kept the last answer).
    assert out.count("── Periksa sebelum dikirim ──") == 3
    assert out.index("Terima kasih, wawancara selesai") > out.rindex("── Periksa sebelum dikirim ──")
    db = tmp_path / "matang.db"
    assert answers(db)["team_size"] == "7"
    assert rows(db, "select state from sessions") == [("finished",)]
    kinds = [k for (k,) in rows(db, "select kind from events order by id")]
    assert kinds.count("state") == 2 and kinds[-1] == "state"  # asking, then finished when sent


def test_input_ending_at_the_check_keeps_the_interview_open_and_it_resumes_there(tmp_path):
    first = matang(["interview", "--flow", SMALL, "--user", "sari"], FULL[:-1], tmp_path)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "matang.db"
    assert rows(db, "select state, cursor from sessions") == [("paused", None)]
    assert "Hasil penilaian" not in first.stdout
    again = matang(["interview", "--flow", SMALL, "--user", "sari"], ["kirim"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "── Periksa sebelum dikirim ──" in again.stdout
    assert rows(db, "select state from sessions") == [("finished",)]
