"""How the interview looks and behaves on a phone, through the real bot and a fake Bot API:
the progress line, a chart that cannot be sent, a text Telegram split, a study's organisation,
the short result and its buttons."""

from __future__ import annotations

import re
import struct

from bot.telegram.results import short_result_text
from bot.texts import t
from interview_flows.loader import load_flow

from .telegram_helpers import (
    PNG_MAGIC,
    answer,
    answers_in,
    asked,
    consent,
    load_case,
    matang_bot,
    open_record,
    rows,
    run_interview,
)

PROGRESS = re.compile(r"^(\d+)/(\d+) ·")


def progress_of(message) -> tuple[int, int]:
    found = PROGRESS.match(message.plain_text)
    assert found, message.plain_text[:60]
    return int(found.group(1)), int(found.group(2))


async def test_the_progress_line_counts_positions_after_an_edit_and_goes_down_on_back(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (_, store):
        user = api.user(3001, language_code="id")
        await consent(user)
        await run_interview(user, store, {"has_team": "yes", "team_size": 5, "platforms": ["instagram"]},
                            stop=lambda q: q.id == "ig_followers")
        here = progress_of(user.last_message)
        assert here == (4, 6)
        # ✏️ 3 (platforms): the edited question shows its own position, not the count of answers.
        user.skip()
        await user.send("/review")
        listing = await user.next_message()
        await user.press_button("✏️ 3", listing)
        edited = await user.next_message()
        assert "Platform apa saja?" in edited.plain_text and progress_of(edited) == (3, 6)
        # /back from there shows a smaller number than the question left.
        user.skip()
        await user.send("/back")
        back = await user.next_message()
        assert "Berapa orang anggota tim?" in back.plain_text and progress_of(back) == (2, 6)
        # Forward again: on to the first question still open, its number larger, the total the same.
        await answer(user, store, 5)
        assert "Berapa pengikut Instagram?" in user.last_message.plain_text
        assert progress_of(user.last_message) == (4, 6)


async def test_a_chart_that_cannot_be_sent_leaves_the_interview_finished_and_says_result_shows_it(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3002, language_code="id")
        await consent(user)
        api.fail_next("sendPhoto", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        await run_interview(user, store, {"has_team": "no", "platforms": ["x"], "satisfaction": 4,
                                          "example": "Kami membalas komentar."})
        told = await user.next_event(lambda e: e.kind == "sent" and t("tg_chart_failed", "id") in
                                     (e.message.text or ""), timeout=10)
        assert "/result" in told.message.text
        await api.wait_idle()
        texts = [m.text for m in user.messages if m.kind == "text"]
        assert t("tg_error", "id") not in texts  # no apology: nothing went wrong that matters
        record = store.latest_session(store.respondent("telegram", "3002"))
        assert record.state == "finished"
        assert short_result_text(record, "id", thanks=True) in texts
        assert rows(db, "select count(*) from events where kind = 'delivery' and detail = 'result'") == [(1,)]
        # /result shows the result and, this time, the chart.
        user.skip()
        await user.send("/result")
        again = await user.next_message()
        assert again.text == short_result_text(record, "id")
        photo = await user.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=10)
        assert photo.message.photo.startswith(PNG_MAGIC)


async def test_a_text_telegram_split_is_never_stored_as_a_fragment(api, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (_, store):
        user = api.user(3003, language_code="id")
        await consent(user)
        await run_interview(user, store, {"has_team": "no", "platforms": ["x"], "satisfaction": 4},
                            stop=lambda q: q.id == "example")
        record = await asked(user, store)
        words = "Ya, " + "Kami menanggapi setiap komentar warga dengan sopan dan cepat. " * 90
        first, rest = words[:4096], words[4096:5000]
        assert (len(first), len(rest)) == (4096, 904) and not rest.startswith(" ")
        user.skip()
        await user.send(first)
        await user.send(rest)  # the client sends the rest at once
        told = await user.next_message()
        assert told.text == t("tg_split_text", "id", limit=200)
        await api.wait_idle()
        # One explanation, nothing more (the question stays the one asked).
        assert [m for m in user.messages if m.message_id > record.question_message_id] == [told]
        assert "example" not in answers_in(db)
        assert open_record(store, 3003).session.cursor == "example" == record.session.cursor
        # A short answer in one message is taken.
        await answer(user, store, "Kami membalas komentar setiap pagi.")
        assert answers_in(db)["example"] == "Kami membalas komentar setiap pagi."


async def test_a_study_with_its_organisation_does_not_ask_for_it(api, tmp_path):
    from bot.research.studies import create_study
    from bot.store import Store

    db = tmp_path / "m.db"
    setup = Store.open(db)
    try:
        study = create_study(setup, "Survei Humas", organisation="Diskominfo Kota Bandung",
                             flow_id="ogmm-social-media", code="bandung1")
    finally:
        setup.close()
    async with matang_bot(api, db, flow="ogmm-social-media") as (_, store):
        user = api.user(3004, language_code="id")
        await consent(user, start=f"/start {study.code}")
        asked_ids: list[str] = []
        await run_interview(user, store, load_case("kemlu_staff.yaml"), stop=lambda q: asked_ids.append(q.id))
        organisation = load_flow("ogmm-social-media").question("organisation")
        shown = " ".join(m.plain_text for m in user.messages if m.kind == "text")
        assert organisation.text.id not in shown
        assert "unit" in asked_ids and "organisation" not in asked_ids
        assert "Diskominfo Kota Bandung" in user.messages[0].plain_text  # shown with the study
        assert answers_in(db)["organisation"] == "Diskominfo Kota Bandung"


async def test_the_short_result_has_buttons_for_the_full_text_all_suggestions_and_the_pdf(api, tmp_path):
    from bot.charts import render_chart
    from bot.interviews import result_text
    from scoring.narrative import render_suggestions

    db = tmp_path / "m.db"
    async with matang_bot(api, db, flow="ogmm-social-media", chart=render_chart) as (_, store):
        user = api.user(3005, language_code="id")
        await consent(user)
        await run_interview(user, store, load_case("sleman_staff.yaml"))
        photo = await user.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=20)
        width, height = struct.unpack(">II", photo.message.photo[16:24])
        assert width == 1080 and height <= 1350  # whole on a phone screen, nothing to zoom into
        record = store.latest_session(store.respondent("telegram", "3005"))
        short = next(m for m in user.messages if m.kind == "text" and m.buttons)
        assert short.text == short_result_text(record, "id", thanks=True)
        assert short.text.count("\n1. ") == 1 and "\n3. " in short.text and "\n4. " not in short.text
        assert "Langkah pertama" not in short.text
        user.skip()
        await user.press_button(t("tg_result_full", "id"), short)
        full = await user.next_message()
        assert full.text == result_text(record, "id")
        await user.press_button(t("tg_result_tips", "id"), short)
        tips = await user.next_message()
        assert tips.text == render_suggestions(record_assessment(record), "id") and "Langkah pertama" in tips.text
        await user.press_button(t("tg_result_pdf", "id"), short)
        pdf = await user.next_message(timeout=30)
        assert pdf.kind == "document" and pdf.document.startswith(b"%PDF")
        assert pdf.filename == f"matang-report-{record.id}.pdf"


def record_assessment(record):
    from bot.interviews import assessment_of

    return assessment_of(record)
