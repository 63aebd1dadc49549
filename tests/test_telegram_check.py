"""The final check on a phone: after the last answer nothing is scored until the respondent sends
the answers; "Periksa jawaban" lists them with ✏️ to change one; a changed answer comes back to
the check; stray input, double taps and old buttons change nothing. Through the real bot and the
fake Bot API."""

from __future__ import annotations

from bot.texts import t

from .telegram_helpers import (
    answers_in,
    asked,
    consent,
    matang_bot,
    open_record,
    rows,
)

GIVEN = {"has_team": "yes", "team_size": 4, "platforms": ["instagram"], "ig_followers": "big", "satisfaction": 5,
         "example": "Kami membalas komentar setiap pagi."}


async def result_arrives(user, lang: str = "id") -> None:
    """Wait for the result's first message (the thanks)."""
    thanks = "Terima kasih." if lang == "id" else "Thank you."
    await user.wait_for(lambda m: (m.text or "").startswith(thanks), timeout=10)


def check_title(lang: str) -> str:
    return f"<i>{t('check_title', lang)}</i>"


def is_check(message) -> bool:
    """The check's message (a resumed one starts with the "continuing" line above it)."""
    return check_title("id") in (message.text or "") or check_title("en") in (message.text or "")


async def run_to_check(user, store, lang: str = "id"):
    """Consent and answer every question (GIVEN), stopping at the final check (run_interview
    would send the answers there); the check's message and the open record."""
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_flow

    from .telegram_helpers import answer

    await consent(user, lang)
    while True:
        record = await asked(user, store)
        engine = engine_for(load_flow(record.session.flow_id, record.session.flow_version))
        q = engine.current(record.session)
        if q is None:
            return user.server.chat_log(user.id).messages[record.question_message_id], record
        await answer(user, store, GIVEN.get(q.id))


async def test_the_last_answer_brings_the_check_and_nothing_is_scored_until_sent(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4001)
        check, record = await run_to_check(user, store)
        assert record.state == "asking" and record.assessment is None
        assert rows(db, "select state, assessment is null from sessions") == [("asking", 1)]
        assert t("check_intro", "id", count=len(GIVEN)) in check.plain_text
        assert [b.text for row in check.buttons for b in row] == [t("tg_check_review_button", "id"),
                                                                  t("tg_check_send_button", "id")]
        assert not [m for m in user.messages if m.kind == "photo"]
        # Send: the check says so and loses its buttons; the result and the chart follow.
        user.skip()
        await user.press_button(t("tg_check_send_button", "id"), check)
        thanks = await user.next_message()
        assert thanks.text.startswith("Terima kasih.")
        await user.wait_for(lambda m: m.kind == "photo")
        sent = user.server.chat_log(user.id).messages[check.message_id]
        assert sent.buttons == [] and sent.text.endswith(t("tg_check_sent", "id"))
    assert rows(db, "select state, assessment is not null from sessions") == [("finished", 1)]
    assert answers_in(db)["team_size"] == 4


async def test_review_from_the_check_changes_an_answer_and_comes_back_to_the_check(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4002, language_code="en")
        check, record = await run_to_check(user, store, "en")
        user.skip()
        await user.press_button(t("tg_check_review_button", "en"), check)
        review = await user.next_message()
        assert review.text.startswith("<b>" + t("review_title", "en"))
        assert t("tg_check_review_hint", "en") in review.plain_text
        labels = [b.text for row in review.buttons for b in row]
        assert labels[-1] == t("tg_check_send_button", "en") and "✏️ 2" in labels
        # ✏️ 2: the team size asked again; a new number brings the check back (not a result).
        user.skip()
        await user.press_button("✏️ 2", review)
        asked_again = await user.next_message()
        assert "How many people are in the team?" in asked_again.plain_text
        await user.send("7")
        again = (await user.next_event(lambda e: e.kind == "sent" and is_check(e.message))).message
        assert open_record(store, 4002).state == "asking"
        assert t("check_intro", "en", count=len(GIVEN)) in again.plain_text
        # The first check's buttons were retired when it was asked again.
        assert user.server.chat_log(4002).messages[check.message_id].buttons == []
        # The review used for the change lost its buttons; send from the check asked again.
        assert user.server.chat_log(4002).messages[review.message_id].buttons == []
        user.skip()
        await user.press_button(t("tg_check_send_button", "en"), again)
        assert (await user.next_message()).text.startswith("Thank you.")
    assert answers_in(db)["team_size"] == 7
    assert rows(db, "select count(*) from events where kind = 'change' and question_id = 'team_size'") == [(1,)]


async def test_at_the_check_stray_input_shows_it_again_and_typed_words_send(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4003)
        check, record = await run_to_check(user, store)
        for stray in ("apa ini?", "/skip"):
            user.skip()
            await user.send(stray)
            shown = await user.next_message()
            assert is_check(shown) and shown.buttons, stray
        user.skip()
        await user.send_sticker()
        assert is_check(await user.next_message())
        # An old question's button: already answered, nothing changes.
        first_question = next(m for m in user.messages if "Apakah ada tim khusus?" in (m.text or ""))
        before = rows(db, "select count(*) from events")
        await user.press(f"a:{record.id}:1:1", first_question.message_id)
        await api.wait_idle()
        assert rows(db, "select count(*) from events") == before
        assert open_record(store, 4003).state == "asking"
        # "periksa" lists the answers; "kirim" sends them.
        user.skip()
        await user.send("Periksa")
        assert (await user.next_message()).text.startswith("<b>" + t("review_title", "id"))
        user.skip()
        await user.send("kirim")
        assert (await user.next_message()).text.startswith("Terima kasih.")
    assert rows(db, "select state from sessions") == [("finished",)]


async def test_a_double_tap_on_send_gives_one_result(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4004)
        check, _ = await run_to_check(user, store)
        user.skip()
        first = await user.press_button(t("tg_check_send_button", "id"), check)
        second = await user.press_button(t("tg_check_send_button", "id"), check)
        await user.wait_for(lambda m: m.kind == "photo", timeout=10)
        await api.wait_idle()
        thanks = [m for m in user.messages if (m.text or "").startswith("Terima kasih.")]
        assert len(thanks) == 1
        answer = api.callback_queries[second["callback_query"]["id"]]
        assert answer["answered"] and api.callback_queries[first["callback_query"]["id"]]["answered"]
    assert rows(db, "select count(*) from events where kind = 'state' and new_value = '\"finished\"'") == [(1,)]


async def test_pause_at_the_check_and_resume_there(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4005)
        await run_to_check(user, store)
        user.skip()
        await user.send("/pause")
        paused = await user.next_message()
        assert open_record(store, 4005).state == "paused"
        user.skip()
        await user.press_button(t("tg_resume_button", "id"), paused)
        resumed = (await user.next_event(lambda e: e.kind == "sent" and is_check(e.message))).message
        assert resumed.buttons
        await user.press_button(t("tg_check_send_button", "id"), resumed)
        await result_arrives(user)
    assert rows(db, "select state from sessions") == [("finished",)]


async def test_a_check_lost_in_a_crash_is_sent_again_at_start_up(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4006)
        check, record = await run_to_check(user, store)
        # As if the bot died after committing the last answer, before the check went out.
        store.db.execute("update sessions set question_message_id = ? where id = ?", [-check.message_id, record.id])
    user.skip()
    async with matang_bot(api, db) as (_, store):
        resent = (await user.next_event(lambda e: e.kind == "sent" and is_check(e.message), timeout=10)).message
        assert resent.buttons and resent.message_id != check.message_id
        await user.press_button(t("tg_check_send_button", "id"), resent)
        await result_arrives(user)
    assert rows(db, "select state from sessions") == [("finished",)]


async def test_an_old_review_after_sending_says_the_answers_are_sent_and_loses_its_buttons(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(4007)
        check, _ = await run_to_check(user, store)
        user.skip()
        await user.press_button(t("tg_check_review_button", "id"), check)
        review = await user.next_message()
        await user.press_button(t("tg_check_send_button", "id"), check)  # sent from the check
        await result_arrives(user)
        await user.wait_for(lambda m: m.kind == "photo", timeout=10)
        events = rows(db, "select count(*) from events")
        # The review sent before still shows ✏️ and send: pressing one changes nothing and says
        # why, and the review loses its buttons.
        press = await user.press_button("✏️ 2", review)
        await api.wait_idle()
        answer = api.callback_queries[press["callback_query"]["id"]]
        assert answer["answered"] and answer["answer"]["text"] == t("tg_already_sent", "id")
        assert answer["answer"].get("show_alert") is True
        assert user.server.chat_log(4007).messages[review.message_id].buttons == []
        assert rows(db, "select count(*) from events") == events
    assert rows(db, "select state from sessions") == [("finished",)]
    assert answers_in(db)["team_size"] == 4
