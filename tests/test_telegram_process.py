"""``matang run`` as a real process against the fake Bot API in a thread: crash and restart,
webhook mode with its secret token, clean stops, start-up errors, and no token in the logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.texts import t
from fakebotapi import FakeBotApiThread

from .telegram_helpers import ROOT, TOKEN, rows, subprocess_env, wait_for

MATANG = [sys.executable, "-m", "bot.cli", "run"]


@pytest.fixture
def api():
    """The fake Bot API server on its own thread, for a bot in another process."""
    with FakeBotApiThread(token=TOKEN) as server:
        yield server


def start_bot(api, db: Path, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    """``matang run`` in a subprocess; its standard error goes to a file in ``tmp_path``."""
    log = open(tmp_path / f"bot-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(MATANG + list(args), cwd=tmp_path, env=subprocess_env(api.base_url, db, **env),
                            stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log.name  # type: ignore[attr-defined]
    return proc


def polling(api, since: int = 0) -> None:
    """Wait until the bot asks for updates (it is up)."""
    wait_for(lambda: len(api.calls_for("getUpdates")) > since, 30, "the bot polling")


def output(proc: subprocess.Popen) -> str:
    return Path(proc.log_path).read_text()  # type: ignore[attr-defined]


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def cursor(db: Path) -> str | None:
    found = rows(db, "select cursor from sessions where state in ('asking', 'paused') order by id desc limit 1")
    return found[0][0] if found else None


BUTTONS = {"intro": "Lanjut", "has_team": "Ya", "ig_followers": "1.000 atau lebih", "satisfaction": "4"}
TYPED = {"team_size": "4", "example": "Kami membalas komentar setiap pagi."}
ASKS = {"team_size": "Berapa orang anggota tim?", "example": "Ceritakan satu contoh."}


def with_button(user, label: str):
    """The newest bot message that offers a button ``label`` (waits for it)."""
    def find():
        for m in reversed(user.messages):
            if any(b.text == label for row in m.buttons for b in row):
                return m
        return None

    return wait_for(find, 10, f"a button {label!r}")


def asked_to_type(user, qid: str):
    """The bot's message asking the typed question ``qid``, not yet answered (waits for it): a
    text typed before its question was asked is not taken as its answer."""
    def find():
        return next((m for m in reversed(user.messages)
                     if f"<b>{ASKS[qid]}</b>" in (m.text or "") and "\n✅" not in (m.text or "")), None)

    return wait_for(find, 10, f"{qid} asked")


def answer_small(user, db: Path, qid: str | None = None) -> None:
    """Answer the current question of the small flow by its id, as a person would."""
    qid = qid or wait_for(lambda: cursor(db), 10, "a question")
    if qid in BUTTONS:
        user.press_button(BUTTONS[qid], with_button(user, BUTTONS[qid]))
    elif qid in TYPED:
        asked_to_type(user, qid)
        user.send(TYPED[qid])
    elif qid == "platforms":
        user.press_button("Instagram", with_button(user, "Instagram"))
        with_button(user, "✓ Instagram")
        user.press_button("Selesai", with_button(user, "Selesai"))
    else:
        raise AssertionError(qid)


def test_killed_mid_interview_and_restarted_loses_and_doubles_nothing(api, tmp_path):
    db = tmp_path / "matang.db"
    bot = start_bot(api, db, tmp_path)
    try:
        polling(api)
        sari = api.user(3001)
        sari.send("/start")
        sari.press_button("Ya, saya bersedia", sari.next_message(timeout=20))
        sari.next_message(timeout=10)
        sari.next_message(timeout=10)
        answer_small(sari, db)  # the note
        wait_for(lambda: cursor(db) == "has_team", 10, "has_team asked")
        answer_small(sari, db)
        asked_to_type(sari, "team_size")
        sari.send("4")
        # SIGKILL as soon as the answer is committed: its reply may or may not have gone out.
        wait_for(lambda: rows(db, "select count(*) from answers where question_id = 'team_size'") == [(1,)],
                 10, "the answer committed")
        bot.kill()
        bot.wait(10)
        calls = len(api.calls_for("getUpdates"))
        bot = start_bot(api, db, tmp_path)
        polling(api, calls)
        # The next question arrives (sent before the crash, asked again at start-up, or after the
        # redelivered "4" is recognised), and "4" is recorded once.
        wait_for(lambda: cursor(db) == "platforms", 20, "platforms asked after the restart")
        while cursor(db) is not None:
            before = cursor(db)
            answer_small(sari, db)
            wait_for(lambda b=before: cursor(db) != b, 10, f"{before} answered")
        # The final check: send.
        sari.press_button("✅ Kirim jawaban", with_button(sari, "✅ Kirim jawaban"))
        wait_for(lambda: rows(db, "select state from sessions") == [("finished",)], 10, "the answers sent")
        sari.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=20)
        assert stop(bot) == 0
    finally:
        stop(bot, signal.SIGKILL)
    answers = dict(rows(db, "select question_id, value from answers"))
    assert answers == {
        "has_team": '"yes"', "team_size": "4", "platforms": '["instagram"]', "ig_followers": '"big"',
        "satisfaction": "4", "example": '"Kami membalas komentar setiap pagi."',
    }
    assert rows(db, "select count(*) from events where kind = 'answer'") == [(6,)]
    assert rows(db, "select count(*) from events where kind = 'change'") == [(0,)]
    assert rows(db, "select state from sessions") == [("finished",)]
    text = output(bot)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "Matang bot stopped" in text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_a_token_revoked_while_polling_stops_the_bot_with_one_clear_line(api, tmp_path):
    """A token revoked at @BotFather while the bot runs: polling is refused (401); the bot stops
    with exit 1 and says what to check, rather than polling on for ever."""
    bot = start_bot(api, tmp_path / "matang.db", tmp_path)
    try:
        polling(api)
        api.fail_next("getUpdates", 401)
        api.user(3009).send("/start")  # ends the waiting poll; the next one is refused
        code = bot.wait(30)
    finally:
        stop(bot)
    assert code == 1, output(bot)
    assert "the Bot API refused MATANG_TELEGRAM_TOKEN" in output(bot)
    assert TOKEN not in output(bot)


def test_webhook_mode_takes_updates_only_with_the_secret_token(api, tmp_path):
    db = tmp_path / "matang.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/matang-hook"
    bot = start_bot(api, db, tmp_path, "--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port),
                    "--secret-token", "s3cret-Token_1")
    try:
        wait_for(lambda: api.webhook is not None and listening(port), 30, "the webhook server")
        assert api.webhook.url == url and api.webhook.secret_token == "s3cret-Token_1"
        # Without the secret (or with a wrong one): 403, and nothing happens.
        intruder = {"update_id": 900001, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/start",
            "chat": {"id": 3999, "type": "private", "first_name": "Eve"},
            "from": {"id": 3999, "is_bot": False, "first_name": "Eve"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
        assert api.post_update_to(url, intruder) == 403
        assert api.post_update_to(url, intruder, "wrong") == 403
        # Telegram's own deliveries carry the secret and are answered.
        sari = api.user(3002, language_code="en")
        sari.send("/start")
        prompt = sari.next_message(timeout=20)
        assert t("consent_question", "en") in prompt.plain_text
        sari.press_button("Yes, I agree", prompt)
        assert sari.next_message(timeout=10).text == t("tg_started", "en")
        assert all(d.status == 200 for d in api.deliveries)
        assert api.chat_log(3999).messages == {}
        assert stop(bot) == 0
    finally:
        stop(bot, signal.SIGKILL)
    assert rows(db, "select external_id from respondents") == [("3002",)]
    assert rows(db, "select count(*) from updates where update_id = 900001") == [(0,)]


@pytest.mark.parametrize(("token", "says"), [("", "is not set"), ("not-a-token", "does not look like a bot token")])
def test_a_missing_or_malformed_token_is_one_clear_line_and_exit_2(tmp_path, token, says):
    env = subprocess_env("http://127.0.0.1:9/bot", tmp_path / "m.db", MATANG_TELEGRAM_TOKEN=token)
    done = subprocess.run(MATANG, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("matang: MATANG_TELEGRAM_TOKEN") and says in lines[0]
    assert not (tmp_path / "m.db").exists()


def test_webhook_mode_without_a_secret_token_is_refused(tmp_path):
    env = subprocess_env("http://127.0.0.1:9/bot", tmp_path / "m.db")
    env.pop("MATANG_WEBHOOK_SECRET", None)
    done = subprocess.run(MATANG + ["--webhook-url", "https://bot.example.org/telegram"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "matang: webhook mode needs --secret-token (or MATANG_WEBHOOK_SECRET) so forged updates are refused"
    )


def test_run_help_lists_the_webhook_options():
    done = subprocess.run(MATANG + ["--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for option in ("--webhook-url", "--listen", "--port", "--secret-token", "--db"):
        assert option in done.stdout


def test_json_logs_carry_no_token(tmp_path, api):
    db = tmp_path / "matang.db"
    bot = start_bot(api, db, tmp_path, "--log-format", "json", MATANG_LOG_LEVEL="DEBUG")
    try:
        polling(api)
        user = api.user(3003)
        user.send("/help")
        user.next_message(timeout=20)
        assert stop(bot, signal.SIGINT) == 0
    finally:
        stop(bot, signal.SIGKILL)
    text = output(bot)
    assert TOKEN not in text
    parsed = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert parsed and {"time", "level", "logger", "message"} <= set(parsed[0])


AT_CHECK = "(the final check)"


def cursor_of(db: Path, user_id: int) -> str | None:
    """The question a user's open session is at: None when no open session, AT_CHECK when every
    question is answered and the answers wait to be sent."""
    found = rows(db, "select s.cursor from sessions s join respondents r on r.id = s.respondent_id"
                     " where r.external_id = ? and s.state in ('asking', 'paused') order by s.id desc limit 1",
                 (str(user_id),))
    if not found:
        return None
    return found[0][0] or AT_CHECK


def finished(db: Path, user_id: int) -> bool:
    return bool(rows(db, "select 1 from sessions s join respondents r on r.id = s.respondent_id"
                         " where r.external_id = ? and s.state = 'finished'", (str(user_id),)))


def step(user, db: Path) -> None:
    """One action of a respondent who carries on whatever happened: agree, or answer the question
    on screen (a lost answer is simply given again, as a person would after no reply)."""
    qid = cursor_of(db, user.id)
    if qid == AT_CHECK:
        user.press_button("✅ Kirim jawaban", with_button(user, "✅ Kirim jawaban"))
    elif qid is None:
        user.send("/start")
        prompt = wait_for(lambda: next((m for m in reversed(user.messages)
                                        if any((b.data or "").startswith("c:y") for r in m.buttons for b in r)), None),
                          10, "a consent prompt")
        user.press_button("Ya, saya bersedia", prompt)
    elif qid == "platforms":
        question = with_button(user, "Selesai")
        if not any(b.text == "✓ Instagram" for r in question.buttons for b in r):
            user.press_button("Instagram", question)
            with_button(user, "✓ Instagram")
        user.press_button("Selesai", with_button(user, "Selesai"))
    else:
        answer_small(user, db, qid)


@pytest.mark.slow
def test_fifty_kills_at_random_moments_lose_and_double_no_answer(api, tmp_path):
    import random

    rng = random.Random(int(os.environ.get("MATANG_TEST_SEED", "20250501")))
    db = tmp_path / "matang.db"
    users = [api.user(3100 + i) for i in range(10)]
    bot = start_bot(api, db, tmp_path)
    kills = 0
    try:
        polling(api)
        while True:
            todo = [u for u in users if not finished(db, u.id)]
            if not todo:
                break
            user = rng.choice(todo)
            before = (cursor_of(db, user.id), len(user.events))
            try:
                step(user, db)
            except TimeoutError as exc:
                raise AssertionError(f"{exc}; kills {kills}; sessions "
                                     f"{rows(db, 'select * from sessions')}; chat {user.messages[-6:]}; "
                                     f"log {output(bot)[-3000:]}") from None
            if kills < 50 and rng.random() < 0.8:
                if rng.random() < 0.5:  # sometimes once the step is committed, sometimes at once
                    wait_for(lambda u=user, b=before: cursor_of(db, u.id) != b[0] or finished(db, u.id), 10, "commit")
                bot.kill()
                bot.wait(10)
                kills += 1
                calls = len(api.calls_for("getUpdates"))
                bot = start_bot(api, db, tmp_path)
                polling(api, calls)
                api.wait_idle(timeout=20)
            else:
                wait_for(lambda u=user, b=before: len(u.events) > b[1], 10, "a reply")
                api.wait_idle(timeout=20)
        assert stop(bot) == 0
    finally:
        stop(bot, signal.SIGKILL)
    assert kills == 50
    assert rows(db, "select state, count(*) from sessions group by state") == [("finished", 10)]
    expected = {"has_team": '"yes"', "team_size": "4", "platforms": '["instagram"]', "ig_followers": '"big"',
                "satisfaction": "4", "example": '"Kami membalas komentar setiap pagi."'}
    for session_id, in rows(db, "select id from sessions"):
        got = dict(rows(db, "select question_id, value from answers where session_id = ?", (session_id,)))
        assert got == expected, session_id
    assert rows(db, "select count(*) from events where kind = 'answer'") == [(60,)]
    assert rows(db, "select count(*) from events where kind in ('change', 'skip')") == [(0,)]
    assert rows(db, "select max(times_changed) from answers") == [(0,)]
