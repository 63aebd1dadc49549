"""What goes wrong in real chats: redelivered updates, stale and double taps, stickers, long texts,
failing handlers, a Bot API that errs or drops connections, restarts, reminders."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.telegram import keyboards as kb
from bot.texts import t
from fakebotapi import FakeBotApi
from interview_flows.loader import load_flow, load_flow_file
from interview_flows.messages import message

from .telegram_helpers import (
    SMALL,
    TOKEN,
    answer,
    answers_in,
    asked,
    consent,
    eventually,
    matang_bot,
    open_record,
    rows,
    run_interview,
)


async def callback_answer(api: FakeBotApi, update: dict) -> dict:
    """What the bot answered to the callback query of ``update`` (waits for it)."""
    query_id = update["callback_query"]["id"]
    await api.wait_until(lambda: api.callback_queries[query_id]["answered"])
    return api.callback_queries[query_id]["answer"]


# -- the same update twice, stale buttons, double taps ----------------------------------------------


async def test_the_same_update_twice_is_applied_once(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2001)
        await consent(user)
        await answer(user, store)
        record = await asked(user, store)
        user.skip()
        update = await user.send("/skip")  # refused: the question is required; nothing recorded
        await user.next_message()
        press = await user.press(f"a:{record.id}:1:0", record.question_message_id)
        await user.next_message()
        events_before = rows(db, "select count(*) from events")
        sent_before = len(api.calls_for("sendMessage"))
        await api.redeliver(press)
        await api.redeliver(update)
        await api.wait_idle()
        assert rows(db, "select count(*) from events") == events_before
        assert len(api.calls_for("sendMessage")) == sent_before
    assert answers_in(db) == {"has_team": "yes"}
    assert rows(db, "select times_changed from answers") == [(0,)]


async def test_a_redelivered_update_whose_reply_never_went_out_asks_again(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2002)
        await consent(user)
        await answer(user, store)
        record = await asked(user, store)
        press = await user.press(f"a:{record.id}:1:0", record.question_message_id)
        question = await user.next_message()
        await asked(user, store)
        # As if the bot died after committing the answer but before its reply went out: the
        # commit leaves "not sent yet" (the answered question's message id, negated) and the
        # answered question with its buttons.
        answered = record.question_message_id
        store.db.execute("update updates set replied = 0 where update_id = ?", [press["update_id"]])
        store.db.execute("update sessions set question_message_id = ? where id = ?", [-answered, record.id])
        user.skip()
        await api.redeliver(press)
        again = await user.next_message()
        assert again.plain_text == question.plain_text and again.buttons == question.buttons
        await api.wait_idle()
        # The resend took the buttons off the answered question and off nothing else.
        retired = [c for c in api.calls_for("editMessageReplyMarkup")
                   if str(c.params.get("message_id")) == str(answered)]
        assert retired
        assert store.update_seen(press["update_id"])["replied"] == 1
    assert answers_in(db) == {"has_team": "yes"}


async def test_a_redelivered_update_whose_question_went_out_sends_no_copy(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2012)
        await consent(user)
        await answer(user, store)
        record = await asked(user, store)
        press = await user.press(f"a:{record.id}:1:0", record.question_message_id)
        await user.next_message()
        await asked(user, store)
        # The bot died after the next question went out, before the update was marked replied.
        store.db.execute("update updates set replied = 0 where update_id = ?", [press["update_id"]])
        sent_before = len(api.calls_for("sendMessage"))
        await api.redeliver(press)
        await api.wait_idle()
        assert len(api.calls_for("sendMessage")) == sent_before  # no second copy of the question
        assert store.update_seen(press["update_id"])["replied"] == 1
    assert answers_in(db) == {"has_team": "yes"}


async def test_a_stale_or_forged_button_changes_nothing(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2003, language_code="en")
        other = api.user(2004, language_code="id")
        await consent(user, "en")
        await consent(other)
        await answer(user, store)
        first = await asked(user, store)
        old_data = user.server.chat_log(2003).messages[first.question_message_id].button("Yes").data
        await answer(user, store, "yes")
        events = rows(db, "select count(*) from events")
        # The old question's "No" button, pressed later (kept by a client that never refreshed).
        stale = await user.press(old_data.rsplit(":", 1)[0] + ":1", first.question_message_id)
        assert (await callback_answer(api, stale))["text"] == "This question has already been answered."
        # Someone else's session id, current position: forged.
        theirs = open_record(store, 2004)
        forged = await user.press(f"n:{theirs.id}:0", first.question_message_id)
        assert (await callback_answer(api, forged))["text"] == "This question has already been answered."
        # Garbage data.
        junk = await user.press("a:not:a:button", first.question_message_id)
        assert (await callback_answer(api, junk))["text"] == "This question has already been answered."
        await api.wait_idle()
        assert rows(db, "select count(*) from events") == events
        assert open_record(store, 2004).session.cursor == "intro"
    assert answers_in(db) == {"has_team": "yes"}


async def test_a_double_tap_records_once(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2005)
        await consent(user)
        await answer(user, store)
        record = await asked(user, store)
        message_id = record.question_message_id
        user.skip()
        before = len(user.events)
        one = await user.press(f"a:{record.id}:1:0", message_id)
        two = await user.press(f"a:{record.id}:1:0", message_id)  # before the bot saw the first
        await user.next_message()
        assert (await callback_answer(api, one)).get("text") is None
        assert (await callback_answer(api, two))["text"] == t("tg_already_answered", "id")
        await api.wait_idle()
        assert len([e for e in user.events[before:] if e.kind == "sent"]) == 1
    assert rows(db, "select question_id, times_changed from answers") == [("has_team", 0)]
    assert rows(db, "select count(*) from events where kind in ('answer', 'change')") == [(1,)]


async def test_done_answers_the_ticks_on_screen_when_a_lost_edit_left_the_draft_behind(api, tmp_path):
    """A second tap unticks Instagram but its edit is lost (a crash, a failed request): the person
    still sees ✓ Instagram and taps Done. Found by tests/test_crash_concurrent.py: Done answered the
    hidden draft, was refused as empty, and the interview could not go on."""
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2017)
        await consent(user)
        await run_interview(user, store, {"has_team": "no"}, stop=lambda q: q.id == "platforms")
        record = await asked(user, store)
        pos = load_flow_file(SMALL).position("platforms")
        user.skip()
        await user.press(f"t:{record.id}:{pos}:0", record.question_message_id)
        await user.next_event(lambda e: e.kind == "edited")
        api.fail_next("editMessageReplyMarkup")
        await user.press(f"t:{record.id}:{pos}:0", record.question_message_id)
        await eventually(lambda: open_record(store, 2017).draft == [], what="the untick saved")
        await api.wait_idle()
        shown = api.chat_log(2017).messages[record.question_message_id]
        assert shown.buttons[0][0].text == "✓ Instagram"
        await user.press_button("Selesai", shown)
        assert "Berapa pengikut Instagram?" in (await user.next_message()).plain_text
    assert answers_in(db) == {"has_team": "no", "platforms": ["instagram"]}


async def test_a_question_asked_again_keeps_its_old_buttons_until_the_new_copy_is_out(api, tmp_path):
    """/start asks the current question again and retires the old copy's buttons; should the new
    copy not go out (a crash, a failed request), the old one must still work. Found by
    tests/test_crash_concurrent.py: killed between the two, the person was left with a question
    without buttons that nothing asked again."""
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2018)
        await consent(user)
        await answer(user, store)
        record = await asked(user, store)
        old = api.chat_log(2018).messages[record.question_message_id]
        api.fail_next("sendMessage")
        user.skip()
        await user.send("/start")
        assert (await user.next_message()).text == t("tg_error", "id")
        await api.wait_idle()
        assert old.buttons and not old.deleted
        await user.press_button("Ya", old)
        assert "Berapa orang anggota tim?" in (await user.next_message()).plain_text
    assert answers_in(db) == {"has_team": "yes"}


# -- what people send -------------------------------------------------------------------------------


async def test_stickers_photos_voice_files_and_locations_get_a_polite_hint(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        user = api.user(2006)
        await user.send_sticker()
        assert (await user.next_message()).text == t("tg_not_text", "id") + " " + t("tg_no_interview", "id")
        await consent(user)
        await answer(user, store)
        for send in (user.send_sticker, user.send_photo, user.send_voice, user.send_document, user.send_location):
            await send()
            hint = await user.next_message()
            assert hint.text == t("tg_not_text", "id") + " " + t("tg_expect_choice", "id"), send
        await answer(user, store, "yes")
        await user.send_photo(caption="foto tim")
        assert (await user.next_message()).text.endswith(t("tg_expect_number", "id"))
    assert answers_in(tmp_path / "m.db") == {"has_team": "yes"}


async def test_an_over_long_text_is_refused_with_the_limit(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2007, language_code="en")
        await consent(user, "en")
        await run_interview(user, store, {"has_team": "no", "platforms": ["x"]}, stop=lambda q: q.id == "example")
        user.skip()
        await user.send("word " * 60)
        refused = await user.next_message()
        assert refused.text == message("text_too_long", "en", length=299, limit=200)
        assert "200" in refused.text
        assert open_record(store, 2007).session.cursor == "example"
        await user.send("We answer comments every morning.")
        await user.next_message()
    assert answers_in(db)["example"] == "We answer comments every morning."


async def test_an_edited_message_is_not_taken_as_an_answer(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2008)
        await consent(user)
        await run_interview(user, store, {"has_team": "yes"}, stop=lambda q: q.id == "team_size")
        sent = await user.send("5")
        await user.next_message()
        await user.edit(sent["message"]["message_id"], "50")
        assert (await user.next_message()).text == t("tg_edited_message", "id")
    assert answers_in(db)["team_size"] == 5


# -- failures ---------------------------------------------------------------------------------------


async def test_a_failing_handler_apologises_and_the_bot_goes_on(api, tmp_path, monkeypatch, caplog):
    import bot.telegram.messages as messages

    real = messages.parse_text_answer
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(messages, "parse_text_answer", flaky)
    db = tmp_path / "m.db"
    caplog.set_level(logging.ERROR, logger="bot.telegram")
    async with matang_bot(api, db) as (_, store):
        user = api.user(2009)
        await consent(user)
        await run_interview(user, store, {"has_team": "yes"}, stop=lambda q: q.id == "team_size")
        update = await user.send("3")
        assert (await user.next_message()).text == t("tg_error", "id")
        await user.send("3")
        assert "Platform apa saja?" in (await user.next_message()).plain_text
    assert answers_in(db)["team_size"] == 3
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failures and f"update {update['update_id']} failed" in failures[0].getMessage()


async def test_a_failing_command_menu_is_a_warning_and_the_bot_carries_on(api, tmp_path, caplog):
    api.fail_next("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    caplog.set_level(logging.WARNING, logger="bot.telegram")
    async with matang_bot(api, tmp_path / "m.db"):
        user = api.user(2010)
        await user.send("/start")
        assert (await user.next_message()).buttons
    assert any("command menu" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_transient_network_errors_are_retried(api, tmp_path, caplog):
    db = tmp_path / "m.db"
    caplog.set_level(logging.WARNING, logger="bot.telegram")
    async with matang_bot(api, db) as (_, store):
        user = api.user(2011)
        await consent(user)
        await answer(user, store)
        record = await asked(user, store)
        api.drop_next("sendMessage")            # the connection breaks before the server answers
        api.fail_next("editMessageText", 502)   # a proxy in between has a bad moment
        user.skip()
        await user.press(f"a:{record.id}:1:0", record.question_message_id)
        question = await user.next_message()
        assert "Berapa orang anggota tim?" in question.plain_text
        await api.wait_idle()
        edited = user.server.chat_log(2011).messages[record.question_message_id]
        assert "✅ Ya" in edited.plain_text and not edited.buttons
        # Flood control: a 429 is waited out and retried by the rate limiter.
        api.fail_next("sendMessage", 429, retry_after=0.1)
        await user.send("4")
        assert "Platform apa saja?" in (await user.next_message()).plain_text
    assert answers_in(db) == {"has_team": "yes", "team_size": 4}
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert any("sendMessage" in m for m in retries) and any("editMessageText" in m for m in retries)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


# -- restarts and reminders -------------------------------------------------------------------------


async def test_a_restart_mid_interview_resumes_at_the_same_question(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2012)
        await consent(user)
        await run_interview(user, store, {"has_team": "yes", "team_size": 3}, stop=lambda q: q.id == "platforms")
        await user.press_button("YouTube")
        await user.next_event(lambda e: e.kind == "edited")
    # A new process: the same database, a new application.
    async with matang_bot(api, db) as (_, store):
        record = open_record(store, 2012)
        assert record.session.cursor == "platforms" and record.draft == ["youtube"]
        await user.press_button("Instagram")
        await user.next_event(lambda e: e.kind == "edited")
        await user.press_button("Selesai")
        await user.next_message()
        await run_interview(user, store)
        await user.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo")
    stored = answers_in(db)
    assert stored["platforms"] == ["instagram", "youtube"] and stored["team_size"] == 3
    assert rows(db, "select count(*) from events where kind = 'answer'") == [(len(stored),)]
    assert rows(db, "select state from sessions") == [("finished",)]


async def test_one_reminder_for_an_unfinished_interview(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db, reminder_hours=0.0003, sweep_seconds=0.05) as (app, store):
        user = api.user(2013, language_code="en")
        paused = api.user(2014)
        await consent(user, "en")
        await answer(user, store)
        await consent(paused)
        await answer(paused, store)
        paused.skip()
        await paused.send("/pause")
        await paused.next_message()
        reminder = await user.next_message(timeout=10)
        assert reminder.text.startswith("Your Matang interview is not finished yet (question 1/6).")
        record = open_record(store, 2013)
        assert record.reminded_at is not None and record.remind_at is None
        await user.press_button("Resume the interview", reminder)
        assert "Is there a dedicated team?" in (await user.next_message()).plain_text
        await answer(user, store, "yes")
        # Sweeps after the reminder time: still one reminder, and none for the paused interview.
        extra = app.bot_data["matang"].extra
        later = extra["sweep_count"] + 5
        await eventually(lambda: extra["sweep_count"] >= later, timeout=10)
        assert rows(db, "select count(*) from events where kind = 'delivery'") == [(1,)]
    assert [m.text for m in paused.messages if m.text and "not finished" in m.text] == []


async def test_a_due_reminder_is_sent_after_a_restart(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2015)
        await consent(user)
        await answer(user, store)
        await asked(user, store)
        assert open_record(store, 2015).remind_at is not None  # 24 h from now, in the database
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("update sessions set remind_at = ?", [past])
    user.skip()
    async with matang_bot(api, db):
        reminder = await user.next_message(timeout=10)
        assert reminder.text.startswith("Yth. Bapak/Ibu, wawancara Matang belum selesai")
    assert rows(db, "select reminded_at is not null, remind_at from sessions") == [(1, None)]


def test_callback_data_fits_in_64_bytes_for_every_question():
    big = 10**12
    for flow in (load_flow("ogmm-social-media"), load_flow_file(SMALL)):
        for pos, q in enumerate(flow.questions):
            for lang in ("id", "en"):
                markup = kb.question_keyboard(q, big, pos, lang, [c.value for c in q.choices])
                for row in (markup.inline_keyboard if markup else []):
                    for b in row:
                        assert len(b.callback_data.encode()) <= 64
                        assert kb.parse(b.callback_data).session_id == big
    assert len(kb.consent_keyboard("id", "c" * 32, big).inline_keyboard[0][0].callback_data) <= 64
    assert kb.parse("c:y:0:") == kb.Callback("c", None, None, "y:0:")
    assert kb.parse("l:fr") is None and kb.parse(None) is None


async def test_a_question_lost_in_a_crash_is_asked_again_at_start(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2016)
        await consent(user)
        await answer(user, store)
        await asked(user, store)
    import sqlite3

    # As the database looks when the bot died after committing an answer, before the next question.
    with sqlite3.connect(db) as conn:
        conn.execute("update sessions set question_message_id = null")
    user.skip()
    async with matang_bot(api, db) as (_, store):
        again = await user.next_message()
        assert "Apakah ada tim khusus?" in again.plain_text and again.buttons
        await answer(user, store, "no")
    assert answers_in(db) == {"has_team": "no"}


async def test_a_result_lost_in_a_crash_is_sent_at_start_and_only_then(api, tmp_path):
    """Found by tests/test_crash_concurrent.py: killed between committing the last answer and
    sending the result, the person saw their answer taken and then nothing; /start offered a new
    interview, and they answered the whole interview a second time."""
    import sqlite3

    db = tmp_path / "m.db"
    photo = lambda e: e.kind == "sent" and e.message.kind == "photo"  # noqa: E731
    async with matang_bot(api, db) as (_, store):
        lost, seen = api.user(2019), api.user(2020)
        for user in (lost, seen):
            await consent(user)
            await run_interview(user, store)
            await user.next_event(photo)
    [(lost_session,)] = rows(db, "select s.id from sessions s join respondents r on r.id = s.respondent_id"
                                 " where r.external_id = '2019'")
    # As the database looks when the bot died after committing the last answer, before the result.
    with sqlite3.connect(db) as conn:
        conn.execute("delete from events where kind = 'delivery' and session_id = ?", (lost_session,))
    lost.skip()
    seen.skip()
    async with matang_bot(api, db):
        again = await lost.next_message()
        assert again.text.startswith("Terima kasih.") and "Tingkat kematangan" in again.text
        await lost.next_event(photo)
        await api.wait_idle()
    assert seen.events[seen.cursor:] == []
    assert rows(db, "select count(*) from events where kind = 'delivery' and detail = 'result'") == [(2,)]
    async with matang_bot(api, db):  # sent once: not again at the next start
        await api.wait_idle()
    assert lost.events[lost.cursor:] == [] and seen.events[seen.cursor:] == []


async def test_a_number_typed_twice_does_not_answer_the_next_question(api, tmp_path):
    """A person sends "3" for the team size, gets no reply at once, and sends it again: the second
    "3" was written before the platform question was asked and is not its answer (it used to
    record the third platform). Found by tests/test_crash_concurrent.py, where it follows a crash."""
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(2021)
        await consent(user)
        await run_interview(user, store, {"has_team": "yes"}, stop=lambda q: q.id == "team_size")
        await asked(user, store)
        user.skip()
        await user.send("3")
        await user.send("3")
        await user.send("/skip")  # also before the question: it skips nothing
        await api.wait_idle()
        question = [e.message for e in user.events[user.cursor:] if e.kind == "sent"]
        assert len(question) == 1 and "Platform apa saja?" in question[0].plain_text and question[0].buttons
        assert open_record(store, 2021).session.cursor == "platforms"
        await answer(user, store, ["x"])
    assert answers_in(db) == {"has_team": "yes", "team_size": 3, "platforms": ["x"]}
    assert rows(db, "select count(*) from events where kind = 'answer'") == [(3,)]
