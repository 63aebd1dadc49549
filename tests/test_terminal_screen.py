"""The terminal interview as a person at a terminal sees it: driven through a pseudo-terminal
(pexpect) at 60 and 100 columns, the whole OGMM interview, every screen read."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from bot.texts import TEXTS
from interview_flows.loader import load_flow

FLOW = load_flow("ogmm-social-media")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT = r"\r\n> $|^> $"
TEXT_ANSWER = "Kami membalas komentar warga setiap pagi dan sore, lalu mencatatnya dalam laporan bulanan."


def spawn(tmp_path: Path, width: int) -> pexpect.spawn:
    env = {**os.environ, "MATANG_DB": str(tmp_path / "matang.db"), "TERM": "xterm"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return pexpect.spawn(sys.executable, ["-m", "bot.cli", "interview", "--user", "sari"], cwd=str(tmp_path),
                         env=env, dimensions=(40, width), encoding="utf-8", timeout=60)


def cursor(db: Path) -> str | None:
    """The question asked; "check" at the final check; None once the interview is finished."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("select cursor, state from sessions order by id desc limit 1").fetchone()
    if row is None or row[1] != "asking":
        return None
    return row[0] or "check"


def answer_for(question_id: str) -> str:
    """What the respondent types: "Tidak tahu" by its number and by its words, a sentence for an
    open question, the first option or the first number otherwise."""
    q = FLOW.question(question_id)
    if q.id == "regulations":  # a multiple choice: the number shown for "Tidak tahu"
        return str(len(q.choices) + 1)
    if q.id == "budget":  # a single choice: "Tidak tahu" in words
        return "Tidak tahu"
    if q.id == "l3_answering":  # "most": the questions on answering the public follow
        return "3"
    if q.type == "number" and q.dont_know:  # by words, where no number is shown for it
        return "tidak tahu"
    if not q.answerable:
        return ""
    if q.type == "text":
        return TEXT_ANSWER
    if q.type == "number":
        return str(int(q.min or 0) + 2)
    return "1"


def lines_of(text: str) -> list[str]:
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n").split("\n")


def words(text: str) -> set[str]:
    return set(ANSI.sub("", text).split())


def take_interview(tmp_path: Path, width: int) -> tuple[str, list[str]]:
    """The whole interview in a pseudo-terminal; returns the screen output and the lines typed."""
    db = tmp_path / "matang.db"
    child = spawn(tmp_path, width)
    typed: list[str] = []
    child.expect(PROMPT)
    screen = child.before + child.after
    child.sendline("ya")
    typed.append("ya")
    while True:
        child.expect(PROMPT)
        screen += child.before + child.after
        asking = cursor(db)
        if asking is None:  # finished: this prompt is the end screen's
            break
        line = "kirim" if asking == "check" else answer_for(asking)
        child.sendline(line)
        typed.append(line)
    # The result stays on screen: the program waits for Enter rather than leaving.
    with pytest.raises(pexpect.TIMEOUT):
        child.expect(pexpect.EOF, timeout=1.5)
    assert child.isalive()
    assert TEXTS["terminal_end_prompt"]["id"].split()[-1] in screen
    child.sendline("")
    child.expect(pexpect.EOF)
    screen += child.before
    child.close()
    assert child.exitstatus == 0
    return screen, typed


@pytest.mark.parametrize("width", [60, 100])
def test_every_screen_fits_the_window_without_cutting_a_word(tmp_path, width):
    screen, typed = take_interview(tmp_path, width)
    shown = lines_of(screen)
    # What the person typed is echoed by the terminal itself (which wraps it): not printed by us.
    echoes = {"> " + line for line in typed}
    too_wide = [line for line in shown if len(line) > width and line not in echoes]
    assert not too_wide, too_wide[:3]
    # The same interview written to a pipe is plain, unwrapped text: every word the terminal
    # showed must be a whole word of it (a word cut at the edge, "Keiku/tsertaan", is not).
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    plain = subprocess.run([sys.executable, "-m", "bot.cli", "interview", "--user", "sari"], cwd=plain_dir,
                           input="".join(line + "\n" for line in typed), capture_output=True, text=True,
                           env={**os.environ, "MATANG_DB": str(plain_dir / "matang.db")}, timeout=60)
    assert plain.returncode == 0, plain.stderr
    known = words(plain.stdout) | words(TEXTS["terminal_end_prompt"]["id"])
    cut = words(screen) - known
    assert not cut, sorted(cut)[:10]
    # Long paragraphs really were wrapped (the consent is longer than any window here).
    assert max(len(line) for line in plain.stdout.splitlines()) > width
    # A wrapped option goes on under its label, not under its number or at the left edge.
    long = [(n, c.label.id) for q in FLOW.questions for n, c in enumerate(q.choices, 1)
            if len(c.label.id) > width - len(f"   {n}. ")]
    checked = 0
    for n, label in long:
        marker = f"   {n}. "
        starts = [i for i, line in enumerate(shown) if line.startswith(marker + label.split()[0] + " ")
                  and label.startswith(line[len(marker):].rstrip())]
        if not starts:  # a question that skip logic passed over
            continue
        follow = shown[starts[0] + 1]
        assert follow.startswith(" " * len(marker)) and not follow[len(marker)].isspace(), (label, follow)
        checked += 1
    assert checked or width >= 100, "no option long enough to wrap at 60 columns was shown"


def test_the_result_comes_first_and_a_finished_respondent_sees_it_again(tmp_path):
    screen, typed = take_interview(tmp_path, 80)
    text = "\n".join(lines_of(screen))
    end = text.rindex(TEXTS["finished"]["id"])
    after = text[end:]
    # The result, then where the PDF comes from; no recap of every answer in between.
    assert "Tingkat kematangan" in after
    assert "matang report --session 1" in after
    assert TEXT_ANSWER not in after
    # "Tidak tahu" by number (multiple choice) and by words (single choice, number) was taken.
    with sqlite3.connect(tmp_path / "matang.db") as conn:
        stored = dict(conn.execute("select question_id, value from answers"))
    assert stored["regulations"] == stored["budget"] == stored["response_time_hours"] == '"dont_know"'
    assert "dont_know" not in text
    # Running it again shows the result of the finished interview and offers a new one.
    child = spawn(tmp_path, 80)
    child.expect("Mulai wawancara baru")
    again = "\n".join(lines_of(child.before))
    assert "sudah selesai" in again and "Tingkat kematangan" in again
    assert "matang report --session 1" in again
    child.expect(PROMPT)
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with sqlite3.connect(tmp_path / "matang.db") as conn:
        assert conn.execute("select count(*) from sessions").fetchone() == (1,)


def test_a_finished_respondent_may_start_a_new_interview(tmp_path):
    take_interview(tmp_path, 80)
    child = spawn(tmp_path, 80)
    child.expect("Mulai wawancara baru")
    child.expect(PROMPT)
    child.sendline("ya")
    child.expect("bersedia mengikuti wawancara")  # a new consent screen
    child.expect(PROMPT)
    child.sendline("ya")
    child.expect(PROMPT)
    child.sendline("jeda")
    child.expect(pexpect.EOF)
    child.close()
    with sqlite3.connect(tmp_path / "matang.db") as conn:
        assert conn.execute("select id, state from sessions order by id").fetchall() == [(1, "finished"), (2, "paused")]
