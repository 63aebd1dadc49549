"""The interview in Telegram, end to end: the real bot, PTB's HTTP client, a fake Bot API server."""

from __future__ import annotations

import json

import pytest

from bot.telegram.results import short_result_text
from bot.texts import t
from interview_flows.answers import answer_parts
from interview_flows.loader import load_flow

from .telegram_helpers import (
    PNG_MAGIC,
    answer,
    answers_in,
    consent,
    load_case,
    matang_bot,
    open_record,
    rows,
    run_interview,
)


def ogmm_answers(case: str) -> dict:
    return load_case(case)


@pytest.mark.parametrize(
    ("language_code", "lang", "case", "consent_label"),
    [("id", "id", "kemlu_staff.yaml", "Ya, saya bersedia"), ("en-GB", "en", "sleman_staff.yaml", "Yes, I agree")],
)
async def test_a_whole_interview_from_start_to_result_and_chart(api, tmp_path, language_code, lang, case,
                                                                consent_label):
    db = tmp_path / "matang.db"
    # chart=None: the real chart, drawn as `matang run` draws it (in the worker process).
    async with matang_bot(api, db, flow="ogmm-social-media", chart=None) as (_, store):
        sari = api.user(1001, language_code=language_code)
        await sari.send("/start")
        greeting = await sari.next_message()
        flow = load_flow("ogmm-social-media")
        assert flow.consent.get(lang) in greeting.plain_text
        assert t("consent_question", lang) in greeting.plain_text
        assert rows(db, "select count(*) from respondents") == [(0,)]  # nothing before consent
        await sari.press_button(consent_label, greeting)
        assert (await sari.next_message()).text == t("tg_started", lang)
        first = await sari.next_message()
        assert flow.questions[0].text.get(lang)[:40] in first.plain_text
        given = ogmm_answers(case)
        steps = await run_interview(sari, store, given)
        assert steps >= 40
        photo = await sari.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=15)
        assert photo.message.photo.startswith(PNG_MAGIC)
        assert photo.message.caption == t("tg_chart_caption", lang)
        record = store.latest_session(open_record_id(store, 1001))
        assert record.state == "finished" and record.assessment["level"] in (1, 2, 3, 4, 5)
        texts = [m for m in sari.messages if m.kind == "text"]
        # The short result, with buttons for the full explanation, all suggestions and the PDF.
        assert texts[-1].content == short_result_text(record, lang, thanks=True)
        assert len(texts[-1].content) < 1200
        assert [b.text for row in texts[-1].buttons for b in row] == [
            t("tg_result_full", lang), t("tg_result_tips", lang), t("tg_result_pdf", lang)]
        result_message = texts[-1]
    stored = answers_in(db)
    for qid, value in given.items():
        if qid in stored:
            assert (sorted(stored[qid]) if isinstance(value, list) else stored[qid]) == (
                sorted(value) if isinstance(value, list) else value), qid
    # Every answer once: one answer event per stored answer, none changed.
    assert rows(db, "select count(*) from events where kind = 'answer'") == [(len(stored),)]
    assert rows(db, "select max(times_changed) from answers") == [(0,)]
    # The progress line and no stale buttons: every answered question lost its buttons.
    check_title = f"<i>{t('check_title', lang)}</i>"
    checks = [m for m in sari.messages if m.kind == "text" and m.content.startswith(check_title)]
    # The final check came once, and says the answers were sent (its buttons gone).
    assert len(checks) == 1 and checks[0].content.endswith(t("tg_check_sent", lang)) and not checks[0].buttons
    questions = [m for m in sari.messages if m.kind == "text" and "✅" in m.content and "Matang —" not in m.content
                 and m not in checks]
    # A probe (the follow-up of a thin open answer) is a question message of its own.
    probes = sum(1 for v in stored.values() if isinstance(v, dict) and len(answer_parts(v)) > 1)
    assert len(questions) == len(stored) + probes
    assert [m for m in sari.messages if m.buttons] == [result_message]


def open_record_id(store, user_id):
    return next(store.db.query("select id from respondents where external_id = ?", [str(user_id)]))["id"]


async def test_each_question_shows_progress_and_buttons_per_type(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        budi = api.user(1002, language_code="id")
        await consent(budi)
        note = budi.last_message
        assert note.buttons == [[("Lanjut", note.buttons[0][0].data)]]
        await answer(budi, store)  # the note
        yes_no = budi.last_message
        assert yes_no.plain_text.startswith("1/6 · Bagian A")
        assert [b.text for b in yes_no.buttons[0]] == ["Ya", "Tidak"]
        await answer(budi, store, "yes")
        # The answered question shows the answer and has no buttons left.
        answered = budi.server.chat_log(1002).messages[yes_no.message_id]
        assert answered.buttons == [] and "✅ Ya" in answered.plain_text
        number = budi.last_message
        assert number.plain_text.startswith("2/6") and "angka dari 1 sampai 200" in number.plain_text
        await answer(budi, store, 4)
        multi = budi.last_message
        assert [row[0].text for row in multi.buttons][-1] == "Selesai"
        await budi.press_button("Instagram")
        edited = await budi.next_event(lambda e: e.kind == "edited")
        assert edited.message.buttons[0][0].text == "✓ Instagram"
        # The ticks are kept in the session's draft (they survive a restart).
        assert open_record(store, 1002).draft == ["instagram"]
        await budi.press_button("Tidak ada")  # exclusive: clears the other ticks
        edited = await budi.next_event(lambda e: e.kind == "edited")
        assert [r[0].text for r in edited.message.buttons][:4] == ["Instagram", "X", "YouTube", "✓ Tidak ada"]
        await budi.press_button("Instagram")
        await budi.next_event(lambda e: e.kind == "edited")
        await budi.press_button("YouTube")
        await budi.next_event(lambda e: e.kind == "edited")
        await budi.press_button("Selesai")
        single = await budi.next_message()
        assert answers_in(tmp_path / "m.db")["platforms"] == ["instagram", "youtube"]
        assert [r[0].text for r in single.buttons] == ["Kurang dari 1.000", "1.000 atau lebih", "Tidak tahu"]
        await budi.press_button("Tidak tahu")
        scale = await budi.next_message()
        assert [b.text for b in scale.buttons[0]] == ["1", "2", "3", "4", "5"]
        assert "1 = Sangat rendah, 5 = Sangat tinggi" in scale.plain_text
        await budi.press_button("3")
        text = await budi.next_message()
        assert "(boleh dilewati)" in text.plain_text and "paling banyak 200 karakter" in text.plain_text
        assert text.buttons == [[("Lewati", text.buttons[0][0].data)]]
    assert answers_in(tmp_path / "m.db") == {
        "has_team": "yes", "team_size": 4, "platforms": ["instagram", "youtube"],
        "ig_followers": "dont_know", "satisfaction": 3,
    }


async def test_choices_can_also_be_typed(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        user = api.user(1003)
        await consent(user)
        await answer(user, store)  # note
        user.skip()
        await user.send("ya")
        await user.next_message()
        await user.send("2")
        await user.next_message()
        await user.send("1, 3")
        await user.next_message()
    assert answers_in(tmp_path / "m.db") == {"has_team": "yes", "team_size": 2, "platforms": ["instagram", "youtube"]}


async def test_back_skip_and_review_with_a_change(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(1004, language_code="en")
        await consent(user, "en")
        await run_interview(user, store, {"has_team": "yes", "team_size": 3, "platforms": ["x"]},
                            stop=lambda q: q.id == "satisfaction")
        # /skip on a required question is refused with the reason.
        user.skip()
        await user.send("/skip")
        assert (await user.next_message()).text == "This question needs an answer and cannot be skipped."
        # /back asks the previous question again, showing the current answer.
        await user.send("/back")
        again = await user.next_message()
        assert "Which platforms?" in again.plain_text and "Current answer: X" in again.plain_text
        assert again.buttons[1][0].text == "✓ X"
        await user.send("/back")
        again = await user.next_message()
        assert "How many people are in the team?" in again.plain_text
        assert "Current answer: 3" in again.plain_text
        await user.send("12")
        await user.next_message()
        # The interview goes on where it was: the platforms keep their answer.
        assert open_record(store, 1004).session.cursor == "satisfaction"
        await answer(user, store, 4)
        # The optional text: /skip works and the message shows it was skipped.
        asked = user.last_message
        await user.send("/skip")
        await user.next_message()  # the result
        skipped = user.server.chat_log(1004).messages[asked.message_id]
        assert "(skipped)" in skipped.plain_text and not skipped.buttons
    assert answers_in(db)["team_size"] == 12
    assert rows(db, "select times_changed from answers where question_id = 'team_size'") == [(1,)]
    assert rows(db, "select old_value, new_value from events where kind = 'change'") == [("3", "12")]


async def test_review_lists_answers_and_changes_one(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(1005, language_code="id")
        await consent(user)
        await run_interview(user, store, {"has_team": "yes", "team_size": 5}, stop=lambda q: q.id == "ig_followers")
        user.skip()
        await user.send("/review")
        listing = await user.next_message()
        assert "Jawaban Bapak/Ibu sejauh ini:" in listing.plain_text
        assert "2. Berapa orang anggota tim?\n→ 5" in listing.plain_text
        assert [b.text for b in listing.buttons[0]] == ["✏️ 1", "✏️ 2", "✏️ 3"]
        await user.press_button("✏️ 1", listing)
        asked = await user.next_message()
        assert "Apakah ada tim khusus?" in asked.plain_text and "Jawaban saat ini: Ya" in asked.plain_text
        assert not user.server.chat_log(1005).messages[listing.message_id].buttons
        await user.press_button("Tidak", asked)
        nxt = await user.next_message()
        # "No team" makes the team size irrelevant: the interview continues where it was.
        assert "Berapa pengikut Instagram?" in nxt.plain_text
        record = open_record(store, 1005)
        assert record.session.answers["has_team"] == "no"
        # The position counts on the longest path still open: back where it was before the edit.
        assert nxt.plain_text.startswith("4/6 ·")


async def test_pause_then_any_message_offers_to_resume(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(1006)
        await consent(user)
        await run_interview(user, store, stop=lambda q: q.id == "team_size")
        asked = user.last_message
        user.skip()
        await user.send("/pause")
        paused = await user.next_message()
        assert paused.text.startswith("Wawancara dijeda.")
        assert open_record(store, 1006).state == "paused"
        assert open_record(store, 1006).remind_at is None
        assert not user.server.chat_log(1006).messages[asked.message_id].buttons
        await user.send("7")
        offer = await user.next_message()
        assert "sedang dijeda" in offer.text and offer.buttons[0][0].text == "Lanjutkan wawancara"
        await user.send_sticker()
        assert "sedang dijeda" in (await user.next_message()).text
        await user.press_button("Lanjutkan wawancara", offer)
        again = await user.next_message()
        assert again.plain_text.startswith("Melanjutkan wawancara yang belum selesai (pertanyaan 2/6).")
        assert "Berapa orang anggota tim?" in again.plain_text
        await user.send("7")
        await user.next_message()
    assert answers_in(db)["team_size"] == 7  # the message sent while paused was not taken as an answer
    kinds = [k for (k,) in rows(db, "select new_value from events where kind = 'state'")]
    assert kinds == ['"asking"', '"paused"', '"asking"']


async def test_resume_command_and_start_continue_an_open_interview(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        user = api.user(1007)
        await consent(user)
        await answer(user, store)
        user.skip()
        await user.send("/pause")
        await user.next_message()
        await user.send("/resume")
        assert "Apakah ada tim khusus?" in (await user.next_message()).plain_text
        await user.send("/start")
        again = await user.next_message()
        assert again.plain_text.startswith("Melanjutkan wawancara") and again.buttons
        # The earlier copy of the question lost its buttons (once the new copy was out): one live
        # question at a time.
        await api.wait_idle()
        live = [m for m in user.messages if any(b.data.startswith("a:") for row in m.buttons for b in row)]
        assert live == [again]


async def test_delete_erases_everything_after_confirmation(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(1008, language_code="en")
        await consent(user, "en")
        await run_interview(user, store, stop=lambda q: q.id == "platforms")
        user.skip()
        await user.send("/delete")
        ask = await user.next_message()
        assert ask.text.startswith("Delete all your answers and interviews?")
        await user.press_button("Cancel", ask)
        await user.next_event(lambda e: e.kind == "edited")
        assert rows(db, "select count(*) from answers") == [(2,)]
        await user.send("/delete")
        ask = await user.next_message()
        await user.press_button("Yes, delete everything", ask)
        done = await user.next_event(lambda e: e.kind == "edited")
        assert done.message.text.startswith("All your answers and interviews have been deleted.")
    for table in ("respondents", "sessions", "answers", "events"):
        assert rows(db, f"select count(*) from {table}") == [(0,)], table


async def test_restart_after_confirmation_starts_a_new_interview(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(1009)
        await consent(user)
        await run_interview(user, store, stop=lambda q: q.id == "team_size")
        user.skip()
        await user.send("/restart")
        ask = await user.next_message()
        assert ask.text.startswith("Mulai wawancara baru dari awal?")
        await user.press_button("Ya, mulai baru", ask)
        prompt = await user.next_message()
        assert "Apakah Bapak/Ibu bersedia" in prompt.plain_text
        await user.press_button("Ya, saya bersedia", prompt)
        await user.next_message()
        first = await user.next_message()
        assert "Selamat datang." in first.plain_text
    assert rows(db, "select state from sessions order by id") == [("withdrawn",), ("asking",)]


async def test_consent_refused_records_only_the_refusal(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db):
        user = api.user(1010)
        await user.send("/start")
        prompt = await user.next_message()
        no = prompt.button("Tidak").data
        await user.press(no, prompt.message_id)
        assert (await user.next_message()).text == t("consent_refused", "id")
        second = await user.press(no, prompt.message_id)  # a second tap on the same prompt
        await api.wait_until(lambda: api.callback_queries[second["callback_query"]["id"]]["answered"])
        answer = api.callback_queries[second["callback_query"]["id"]]["answer"]
        assert answer["text"] == t("tg_already_answered", "id")
    assert rows(db, "select state from sessions") == [("withdrawn",)]
    assert rows(db, "select count(*) from answers") == [(0,)]
    assert [k for (k,) in rows(db, "select new_value from events where kind = 'consent'")] == ['"refused"']


async def test_result_repeats_the_last_assessment(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        user = api.user(1011, language_code="en")
        user.skip()
        await user.send("/result")
        assert (await user.next_message()).text == t("tg_no_result", "en")
        await consent(user, "en")
        await run_interview(user, store)
        await user.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo")
        first_text = [m for m in user.messages if m.kind == "text"][-1].text
        await user.send("/result")
        again = await user.next_message()
        photo = await user.next_message()
        assert first_text.endswith(again.text) and photo.kind == "photo"
        # After the end, a message points to /result and /restart.
        await user.send("hello")
        assert (await user.next_message()).text == t("tg_finished_already", "en")


async def test_language_switch_changes_the_interview_language(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        user = api.user(1012, language_code="id")
        await consent(user)
        await answer(user, store)
        user.skip()
        await user.send("/language")
        menu = await user.next_message()
        await user.press_button("English", menu)
        asked = await user.next_message()
        assert "Is there a dedicated team?" in asked.plain_text
        assert open_record(store, 1012).session.lang == "en"
        await user.send("/help")
        assert (await user.next_message()).text.startswith("How to answer:")


async def test_unknown_command_and_help(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db"):
        user = api.user(1013, language_code="en")
        await user.send("/frobnicate")
        assert (await user.next_message()).text == t("tg_unknown_command", "en")
        await user.send("/help")
        assert "/review" in (await user.next_message()).text
        await user.send("hello")
        assert (await user.next_message()).text == t("tg_no_interview", "en")


async def test_command_menu_is_registered_in_both_languages(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db"):
        await api.wait_idle()
    menus = {lang: [c["command"] for c in cmds] for (_, lang), cmds in api.commands.items()}
    assert set(menus) == {"", "id", "en"}
    assert menus["en"][:3] == ["start", "help", "language"] and "delete" in menus["id"]
    english = dict(api.commands)[('{"type": "default"}', "en")]
    assert json.dumps(english).count("interview") >= 2


async def test_an_invite_link_attaches_the_study(api, tmp_path):
    studies = pytest.importorskip("bot.research.studies")
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        study = studies.create_study(store, "Humas Sleman 2025", organisation="Diskominfo Sleman", code="sleman25")
        user = api.user(1014)
        await user.send(f"/start {study.code}")
        prompt = await user.next_message()
        assert "Studi: Humas Sleman 2025 — Diskominfo Sleman" in prompt.plain_text
        await user.press_button("Ya, saya bersedia", prompt)
        await user.next_message()
        await user.next_message()
        record = open_record(store, 1014)
        assert record.study_code == "sleman25" and record.organisation == "Diskominfo Sleman"


async def test_choices_before_consent_carry_into_the_interview_and_are_then_forgotten(api, tmp_path, monkeypatch):
    studies = pytest.importorskip("bot.research.studies")
    import bot.telegram.context as bot_context_module
    from bot.telegram.context import bot_context

    def is_consent(message):
        return any(b.text == "Ya, saya bersedia" for r in message.buttons for b in r)

    async def choose_indonesian(person):
        await person.send("/language")
        await person.press_button("Bahasa Indonesia", await person.next_message())
        return await person.wait_for(is_consent)

    monkeypatch.setattr(bot_context_module, "PRE_CONSENT_LIMIT", 2)
    async with matang_bot(api, tmp_path / "m.db") as (app, store):
        kept = bot_context(app).pre_consent
        studies.create_study(store, "Humas Sleman 2025", organisation="Diskominfo Sleman", code="sleman25")
        await choose_indonesian(api.user(1031, language_code="en"))  # leaves without consenting
        user = api.user(1030, language_code="en")
        await user.send("/start sleman25")
        assert "Study: Humas Sleman 2025" in (await user.next_message()).plain_text
        prompt = await choose_indonesian(user)
        # The study code given with /start survives the language switch made before consenting.
        assert "Studi: Humas Sleman 2025" in prompt.plain_text
        assert list(kept) == [1031, 1030]
        # One more person past the limit: the oldest choice is forgotten, memory stays bounded.
        await choose_indonesian(api.user(1032, language_code="en"))
        assert list(kept) == [1030, 1032]
        await user.press_button("Ya, saya bersedia", prompt)
        await user.next_message()
        await user.next_message()
        record = open_record(store, 1030)
        assert record.study_code == "sleman25" and record.session.lang == "id"
        assert list(kept) == [1032]  # the language now lives on the respondent record
        # Nothing is kept per person in python-telegram-bot's user_data, which is never emptied.
        assert dict(app.user_data) == {}


async def test_an_unknown_invite_code_gets_a_clear_message_and_a_self_assessment(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(1015)
        await user.send("/start nosuchstudy")
        prompt = await user.next_message()
        assert 'kode undangan "nosuchstudy" tidak dikenal' in prompt.plain_text
        await user.press_button("Ya, saya bersedia", prompt)
        await user.next_message()
        await user.next_message()
        assert open_record(store, 1015).study_code is None
