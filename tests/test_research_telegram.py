"""Researcher commands and the respondent's own report, over the fake Bot API server.

The first tests run the research handlers in a bare python-telegram-bot application with a
stand-in unknown-command reply, so they pin down this module's behaviour alone. The last test
runs the real Telegram channel end to end (a respondent interviewed through Telegram, then the
researcher's export) when the channel is installed.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import zipfile
from types import SimpleNamespace

import pytest

from .test_research_support import IDENTITIES, RESEARCHER, Research, build_research, script


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Research:
    """A filled study in its own database (built once for this module)."""
    return build_research(tmp_path_factory.mktemp("research"))


pytest.importorskip("aiohttp")
from fakebotapi import FakeBotApi  # noqa: E402

GLOBAL_RESEARCHER = 700
STRANGER = 424242
UNKNOWN_REPLY = "Perintah tidak dikenal. Ketik /help."


@pytest.fixture
async def bot(research, tmp_path):
    """A bare application with the research handlers, polling the fake server."""
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from benchmarks.echo import polling
    from bot.interviews import Interviews
    from bot.settings import Settings
    from bot.telegram.research import add_handlers

    store = research.store()
    async with FakeBotApi() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
        settings = Settings(researchers=str(GLOBAL_RESEARCHER), db=research.db, lang="id")
        app.bot_data["matang"] = SimpleNamespace(settings=settings, store=store, interviews=Interviews(store))
        add_handlers(app)

        async def unknown(update, context):
            await update.effective_message.reply_text(UNKNOWN_REPLY)

        app.add_handler(MessageHandler(filters.COMMAND, unknown))
        async with polling(app):
            yield SimpleNamespace(api=api, app=app, store=store, research=research)
    store.close()


async def ask(api, user_id: int, text: str, timeout: float = 30, language_code: str = "en"):
    user = api.user(user_id, language_code=language_code)
    await user.send(text)
    return await user.next_message(timeout=timeout)


async def test_an_indonesian_researcher_is_answered_in_indonesian(bot):
    reply = await ask(bot.api, GLOBAL_RESEARCHER, "/status", language_code="id")
    assert reply.text == "Cara pakai: /status KODE"
    status = await ask(bot.api, GLOBAL_RESEARCHER, f"/status {bot.research.code}", language_code="id")
    assert "tingkat instansi sejauh ini" in status.text and "selesai 4" in status.text
    assert "Ubiquitous" not in status.text and "level so far" not in status.text
    export = await ask(bot.api, GLOBAL_RESEARCHER, f"/export {bot.research.code} csv", language_code="id")
    assert "tanpa identitas" in export.caption


async def test_a_global_researcher_gets_the_export_as_a_document(bot):
    reply = await ask(bot.api, GLOBAL_RESEARCHER, f"/export {bot.research.code} csv")
    assert reply.kind == "document" and reply.filename == f"matang-{bot.research.code}-csv.csv"
    rows = list(csv.DictReader(io.StringIO(reply.document.decode("utf-8"))))
    assert {int(r["session"]) for r in rows} >= {bot.research.sessions["siti"]}
    for secret in bot.research.secrets():
        assert secret.encode() not in reply.document
    assert "pseudonymous" in reply.caption


async def test_wide_export_arrives_as_a_zip_with_its_codebook(bot):
    reply = await ask(bot.api, GLOBAL_RESEARCHER, f"/export {bot.research.code} csv-wide")
    with zipfile.ZipFile(io.BytesIO(reply.document)) as zf:
        assert sorted(zf.namelist()) == sorted(
            [f"matang-{bot.research.code}-csv-wide.csv", f"matang-{bot.research.code}-csv-wide.codebook.csv"]
        )


async def test_a_study_researcher_sees_their_study(bot):
    listing = await ask(bot.api, RESEARCHER, "/studies")
    assert bot.research.code in listing.text and "finished" in listing.text
    status = await ask(bot.api, RESEARCHER, f"/status {bot.research.code}")
    assert "finished 4" in status.text and "organisation level so far" in status.text
    report = await ask(bot.api, RESEARCHER, f"/report {bot.research.code} en")
    assert report.kind == "document" and report.document.startswith(b"%PDF")


async def test_non_researchers_get_exactly_the_unknown_command_reply(bot):
    baseline = await ask(bot.api, STRANGER, "/nosuchcommand")
    assert baseline.text == UNKNOWN_REPLY
    code = bot.research.code
    for command in (
        f"/export {code} csv",
        f"/status {code}",
        "/studies",
        f"/report {code}",
        "/export",
        "/status",
        "/status nosuchstudy",
        f"/export {code} qdpx",
    ):
        reply = await ask(bot.api, STRANGER, command)
        assert (reply.kind, reply.text, reply.reply_markup) == (baseline.kind, baseline.text, baseline.reply_markup)
    # A study's researcher learns nothing about codes that are not theirs, existing or not.
    for command in ("/status nosuchstudy", "/export otherstudy csv"):
        reply = await ask(bot.api, RESEARCHER, command)
        assert reply.text == baseline.text
    assert not [c for c in bot.api.calls_for("sendDocument") if c.params.get("chat_id") == STRANGER]


async def test_a_global_researcher_is_told_about_bad_codes_and_formats(bot):
    reply = await ask(bot.api, GLOBAL_RESEARCHER, "/status nosuchstudy")
    assert "Unknown study nosuchstudy" in reply.text
    reply = await ask(bot.api, GLOBAL_RESEARCHER, f"/export {bot.research.code} pdf")
    assert "Unknown format pdf" in reply.text and "qdpx" in reply.text
    reply = await ask(bot.api, GLOBAL_RESEARCHER, "/export")
    assert reply.text.startswith("Usage: /export CODE FORMAT")


async def test_a_respondent_gets_their_own_pdf(bot):
    from pypdf import PdfReader

    siti = int(IDENTITIES["siti"][0])
    reply = await ask(bot.api, siti, "/myreport")
    assert reply.kind == "document" and reply.document.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(reply.document)).pages)
    assert "Tingkat kematangan" in " ".join(text.split())
    nobody = await ask(bot.api, STRANGER, "/laporan", language_code="id")
    assert "Belum ada wawancara yang selesai" in nobody.text


CHANNEL = importlib.util.find_spec("bot.telegram.app") is not None


async def answer_through_telegram(api, user, code: str, profile: float, organisation: str) -> dict:
    """One respondent's whole interview over the fake server: /start CODE, consent, typed answers."""
    from interview_flows.loader import load_flow

    lines, answers = script(load_flow("ogmm-social-media"), profile, organisation)
    await user.send(f"/start {code}")
    consent = await user.next_message(timeout=15)
    assert consent.buttons, consent
    await user.press_button("Ya, saya bersedia", consent)
    await user.wait_for(lambda m: m.kind == "text" and "Terima kasih atas kesediaan" in (m.text or ""), timeout=15)
    await user.next_message(timeout=15)  # the first step
    for line in lines:
        await user.send(line or "lanjut")  # typed text passes a note too
        await user.next_message(timeout=30)  # the next step, or the result at the end
    await user.wait_for(lambda m: m.kind == "photo", timeout=30)  # the chart after the result
    return answers


@pytest.mark.skipif(not CHANNEL, reason="the Telegram channel (bot.telegram.app) is not installed yet")
async def test_through_the_real_channel_interview_export_refusal_report_and_delete(tmp_path):
    """The whole story on the real channel: interviewed in Telegram, exported, refused, erased."""
    from bot.research.exports.jsonl import replay
    from bot.settings import Settings
    from bot.store import Store
    from bot.telegram.app import build_application, running
    from fakebotapi import TINY_PNG

    research = build_research(tmp_path)
    store = Store.open(research.db)
    try:
        async with FakeBotApi() as api:
            settings = Settings(
                researchers=str(GLOBAL_RESEARCHER),
                db=research.db,
                lang="id",
                telegram_api_url=api.base_url,
                reminder_hours=0,
            )
            app = build_application(
                settings, store, token=api.token, rate_limit=False, chart=lambda assessment, lang: TINY_PNG
            )
            async with running(app):
                sari = api.user(880001, first_name="Sari Wulandari", username="sari_humas_tg")
                answers = await answer_through_telegram(api, sari, research.code, 0.8, "Diskominfo Kota Bandung")
                sid = store.latest_session(store.respondent("telegram", "880001"), "finished").id
                assert dict(store.load(sid).session.answers) == answers

                # The researcher's export carries the Telegram interview, pseudonymously.
                export = await ask(api, GLOBAL_RESEARCHER, f"/export {research.code} jsonl")
                assert export.kind == "document"
                lines = export.document.decode("utf-8").splitlines()
                assert replay(lines)[sid] == answers
                for secret in ("880001", "Sari Wulandari", "sari_humas_tg", *research.secrets()):
                    assert secret.encode() not in export.document, secret

                # An outsider's researcher commands get the channel's unknown-command reply, exactly.
                baseline = await ask(api, STRANGER, "/nosuchcommand", language_code="id")
                assert "tidak dikenal" in baseline.text
                for command in (
                    f"/export {research.code} csv",
                    f"/status {research.code}",
                    "/studies",
                    f"/report {research.code}",
                    "/status nosuchstudy",
                ):
                    reply = await ask(api, STRANGER, command, language_code="id")
                    assert (reply.kind, reply.text, reply.reply_markup) == (
                        baseline.kind,
                        baseline.text,
                        baseline.reply_markup,
                    ), command
                # The study's own researcher (not in MATANG_RESEARCHERS) sees the progress.
                status = await ask(api, RESEARCHER, f"/status {research.code}")
                assert "finished 5" in status.text and "Diskominfo Kota Bandung" in status.text

                # The respondent's own report.
                mine = await ask(api, sari.id, "/myreport")
                assert mine.kind == "document" and mine.document.startswith(b"%PDF")

                # /delete, confirmed: gone from the next export.
                await sari.send("/delete")
                confirm = await sari.next_message(timeout=15)
                await sari.press_button("Ya, hapus semuanya", confirm)
                await api.wait_idle(timeout=10)
                again = await ask(api, GLOBAL_RESEARCHER, f"/export {research.code} jsonl")
                heads = [line for line in again.document.decode().splitlines() if '"type":"session"' in line]
                assert sid not in replay(again.document.decode().splitlines())
                assert len(heads) == len(research.sessions)
    finally:
        store.close()


async def test_an_export_of_a_code_ending_in_a_dash_has_no_double_dash(bot):
    from bot.research.studies import create_study, get_study_or_none

    if get_study_or_none(bot.store, "T72VU5nZp-") is None:
        create_study(bot.store, "Kode berakhiran tanda hubung", code="T72VU5nZp-",
                     researchers=[GLOBAL_RESEARCHER])
    reply = await ask(bot.api, GLOBAL_RESEARCHER, "/export T72VU5nZp- csv")
    assert reply.kind == "document", reply
    assert reply.filename == "matang-T72VU5nZp-csv.csv"
