"""Access: one respondent can never see, change or delete another's answers, whatever buttons they
press; researcher commands answer only a study's own researchers; a webhook without the secret
token is refused before anything is processed.

The bot is the real application on a fake Bot API server (one per module, see
:class:`tests.test_hardening_support.LiveBot`), with two studies that have different researchers.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bot.research.studies import create_study
from bot.telegram import keyboards as kb
from bot.texts import t
from fakebotapi import BotMessage, FakeBotApi, SimUser
from interview_flows.loader import load_flow, load_flow_file

from .telegram_helpers import SMALL, TOKEN, answer, consent, matang_bot, open_record, run_interview
from .test_hardening_support import LiveBot, chat_events, check_records, rows, snapshot, until_replied
from .test_research_support import run_telegram_like

VICTIM_MIDWAY = 710_000_001
VICTIM_DONE = 710_000_002
ATTACKER = 720_000_001
STRANGER = 720_000_002
VICTIMS = (VICTIM_MIDWAY, VICTIM_DONE)
VICTIM_TEXT = "Jawaban-Pribadi-Kenari-8842: akun kami dikelola dua orang."
VICTIM_TEAM = 173
GLOBAL_RESEARCHER = 730_000_001
RESEARCHER_A = 730_000_002
RESEARCHER_B = 730_000_003
STUDY_A, STUDY_B = "studiAlfa01", "studiBeta02"
SECRET_ORGANISATION = "Dinas Rahasia Beta Kabupaten Contoh"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """The bot with two studies (A: researcher A, B: researcher B and one interview), a victim
    midway and a victim finished in self-assessments, and an attacker with an interview."""
    bot = LiveBot(tmp_path_factory.mktemp("hardening-access"), researchers=str(GLOBAL_RESEARCHER)).start()
    store = bot.store
    create_study(store, "Studi Alfa", researchers=[RESEARCHER_A], code=STUDY_A)
    study_b = create_study(store, "Studi Beta", researchers=[RESEARCHER_B], code=STUDY_B)
    flow_b = load_flow(study_b.flow_id, study_b.flow_version)
    assert run_telegram_like(store, flow_b, "siti", 0.7, SECRET_ORGANISATION, STUDY_B).state == "finished"

    async def people() -> None:
        midway = bot.user(VICTIM_MIDWAY, first_name="Vina")
        await consent(midway)
        await run_interview(midway, store, {"has_team": "yes", "team_size": VICTIM_TEAM},
                            stop=lambda q: q.id == "platforms")
        done = bot.user(VICTIM_DONE, first_name="Dodi", language_code="en")
        await consent(done, "en")
        await run_interview(done, store, {"example": VICTIM_TEXT})
        attacker = bot.user(ATTACKER, first_name="Eve", language_code="en")
        await consent(attacker, "en")
        await answer(attacker, store)
        await bot.idle()

    bot.run(people())
    bot.victims = snapshot(bot.db, VICTIMS)  # type: ignore[attr-defined]
    bot.victim_chats = chat_events(bot.api, VICTIMS)  # type: ignore[attr-defined]
    yield bot
    bot.close()


def untouched(live: LiveBot) -> None:
    """The victims' rows and chats are as they were and the records are consistent."""
    assert snapshot(live.db, VICTIMS) == live.victims  # type: ignore[attr-defined]
    assert chat_events(live.api, VICTIMS) == live.victim_chats  # type: ignore[attr-defined]
    check_records(live.db)


def seen_by(api: FakeBotApi, user_id: int) -> str:
    """Every text the bot ever showed in a chat (every version of every message, captions and file
    names included) and every callback answer it gave there, as one text to search."""
    log = api.chat_log(user_id)
    texts = []
    for m in log.messages.values():
        for state in [*m.edits, m.snapshot()]:
            texts += [state.get("text") or "", state.get("caption") or ""]
        texts.append(m.filename or "")
    texts += [str(c.params.get("text") or "") for c in api.calls_for("answerCallbackQuery")
              if str(c.params.get("callback_query_id", "")).startswith(str(user_id))]
    return "\n".join(texts)


def leaks(api: FakeBotApi, user_id: int) -> list[str]:
    """The victims' (and study B's) private content found in what ``user_id`` was shown."""
    shown = seen_by(api, user_id)
    secrets = [VICTIM_TEXT, "Kenari-8842", SECRET_ORGANISATION, str(VICTIM_MIDWAY), str(VICTIM_DONE)]
    found = [s for s in secrets if s in shown]
    if re.search(rf"\b{VICTIM_TEAM}\b", shown):
        found.append(str(VICTIM_TEAM))
    return found


async def press_all(live: LiveBot, user: SimUser, datas: list[str], on: BotMessage) -> list[dict[str, Any]]:
    """Press every callback data on ``on`` (one after the other) and return the bot's answers."""
    answers = []
    for data in datas:
        update = await user.press(data, on.message_id)
        query_id = update["callback_query"]["id"]
        await live.api.wait_until(lambda q=query_id: live.api.callback_queries[q]["answered"], timeout=10)
        answers.append(live.api.callback_queries[query_id]["answer"] or {})
    await live.idle()
    return answers


# -- respondents and each other's sessions -------------------------------------------------------------


def test_every_button_naming_another_persons_session_is_refused(live):
    """Valid-looking data (made with keyboards.encode) for every kind of session button, every
    question of the victims' sessions, every choice: all refused, nothing changes, nothing leaks."""
    flow = load_flow_file(SMALL)
    sessions = sorted({row[0] for row in live.victims["sessions"]})  # type: ignore[attr-defined]
    datas = []
    for sid in sessions:
        for pos in range(len(flow.questions)):
            for arg in [*range(4), kb.DONT_KNOW_ARG]:
                datas.append(kb.encode(kb.ANSWER, sid, pos, arg))
                datas.append(kb.encode(kb.TOGGLE, sid, pos, arg))
            for kind in (kb.DONE, kb.SKIP, kb.NOTE, kb.EDIT):
                datas.append(kb.encode(kind, sid, pos))
        datas += [kb.encode(kb.PAGE, sid, page) for page in range(3)]
        datas += [kb.encode(kb.RESUME, sid), kb.encode(kb.CONFIRM, "r", sid, ""), kb.encode(kb.CONFIRM, "r", sid, STUDY_A)]
    attacker = live.user(ATTACKER)
    answers = live.run(press_all(live, attacker, datas, attacker.last_message), timeout=120)
    refused = {t("tg_already_answered", "en")}
    assert [a.get("text") for a in answers] == [next(iter(refused))] * len(datas)
    untouched(live)
    assert leaks(live.api, ATTACKER) == []
    live.run(live.alive(attacker))


def test_another_persons_review_buttons_do_nothing_for_someone_else(live):
    """The victim's own /review edit and page buttons, pressed by the attacker, are refused."""
    victim, attacker = live.user(VICTIM_MIDWAY), live.user(ATTACKER)

    async def go() -> list[dict[str, Any]]:
        victim.skip()
        await victim.send("/review")
        listing = await victim.next_message()
        datas = [b.data for row in listing.buttons for b in row]
        assert datas and all(d.startswith(("e:", "v:")) for d in datas), listing
        return await press_all(live, attacker, datas, attacker.last_message)

    answers = live.run(go())
    assert {a.get("text") for a in answers} == {t("tg_already_answered", "en")}
    live.victim_chats = chat_events(live.api, VICTIMS)  # type: ignore[attr-defined]  # the victim's own /review
    untouched(live)
    assert leaks(live.api, ATTACKER) == []


def test_delete_confirmation_erases_only_the_person_who_presses_it(live):
    """"Yes, delete everything", forged with extra parts naming someone else, or pressed by someone
    with no records: it erases the presser's own records, never anyone else's."""
    attacker, stranger = live.user(ATTACKER), live.user(STRANGER, language_code="en")
    victim_rid = live.victims["respondents"][0][0]  # type: ignore[attr-defined]

    async def go() -> None:
        await live.alive(stranger)  # a chat with a message to press on
        answers = await press_all(live, stranger, ["x:d", f"x:d:{victim_rid}"], stranger.last_message)
        assert [a.get("text") for a in answers] == [t("tg_already_answered", "en")] * 2
        await press_all(live, attacker, [f"x:d:{victim_rid}"], attacker.last_message)

    live.run(go())
    assert rows(live.db, "select count(*) from respondents where external_id = ?", [str(ATTACKER)]) == [(0,)]
    untouched(live)
    # The attacker may come back as a new respondent; their old buttons stay refused.
    live.run(consent(attacker, "en"))
    assert open_record(live.store, ATTACKER) is not None
    untouched(live)


def test_result_review_and_report_show_only_ones_own(live):
    """Someone with no records, and someone with their own, see only their own through every
    command that shows answers."""
    stranger, attacker = live.user(STRANGER + 1, language_code="en"), live.user(ATTACKER)

    async def go() -> None:
        for user in (stranger, attacker):
            for command in ("/result", "/review", "/myreport", "/resume", "/start"):
                user.skip()
                update = await user.send(command)
                await until_replied(live.store, update)
        await live.idle()

    live.run(go(), timeout=90)
    assert leaks(live.api, STRANGER + 1) == [] and leaks(live.api, ATTACKER) == []
    untouched(live)


# -- researcher commands --------------------------------------------------------------------------


def ask(live: LiveBot, user_id: int, text: str) -> BotMessage:
    user = live.user(user_id, language_code="id")

    async def go() -> BotMessage:
        user.skip()
        await user.send(text)
        return await user.next_message(timeout=30)

    return live.run(go(), timeout=60)


def test_a_studys_researcher_learns_nothing_about_another_study(live):
    baseline = ask(live, RESEARCHER_A, "/nosuchcommand")
    assert baseline.text == t("tg_unknown_command", "id")
    for who, other in ((RESEARCHER_A, STUDY_B), (RESEARCHER_B, STUDY_A)):
        for command in (f"/status {other}", f"/export {other} csv", f"/export {other} jsonl",
                        f"/export {other} xlsx", f"/report {other}", f"/report {other} en"):
            reply = ask(live, who, command)
            assert (reply.kind, reply.text, reply.reply_markup) == (baseline.kind, baseline.text, None), (who, command)
    listing = ask(live, RESEARCHER_A, "/studies")
    assert STUDY_A in listing.text and STUDY_B not in listing.text
    status = ask(live, RESEARCHER_A, f"/status {STUDY_A}")
    assert STUDY_A in status.text and SECRET_ORGANISATION not in status.text
    # Respondents (the victims included) and strangers: every researcher command is unknown.
    for who in (VICTIM_DONE, ATTACKER, STRANGER + 2):
        for command in ("/studies", f"/status {STUDY_B}", f"/export {STUDY_B} csv", f"/report {STUDY_B}"):
            reply = ask(live, who, command)
            assert reply.text in (t("tg_unknown_command", "id"), t("tg_unknown_command", "en")), (who, command)
    everyone = ask(live, GLOBAL_RESEARCHER, "/studies")
    assert STUDY_A in everyone.text and STUDY_B in everyone.text
    documents = [c for c in live.api.calls_for("sendDocument")
                 if c.params.get("chat_id") not in (GLOBAL_RESEARCHER, VICTIM_DONE, ATTACKER)]
    assert documents == []
    for who in (RESEARCHER_A, RESEARCHER_B, ATTACKER, STRANGER + 2, VICTIM_DONE):
        assert SECRET_ORGANISATION not in seen_by(live.api, who)
    live.victim_chats = chat_events(live.api, VICTIMS)  # type: ignore[attr-defined]  # their own commands
    untouched(live)


# -- the webhook ----------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_webhook_update_without_the_right_secret_is_refused_and_not_processed(tmp_path):
    """Forged updates that would answer, change and erase a respondent's interview: 403 without the
    secret (missing, wrong, or right but for its case), and nothing at all happens."""
    db = tmp_path / "m.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/matang-hook"
    secret = "Rahasia_webhook-2025"
    hook = {"listen": "127.0.0.1", "port": port, "url_path": "matang-hook", "webhook_url": url,
            "secret_token": secret}
    async with FakeBotApi(token=TOKEN) as api, matang_bot(api, db, webhook=hook) as (_, store):
        sari = api.user(740_000_001, language_code="en")
        await consent(sari, "en")
        await run_interview(sari, store, {"has_team": "yes"}, stop=lambda q: q.id == "team_size")
        await api.wait_idle()
        record = open_record(store, sari.id)
        before = snapshot(db, [sari.id])
        seen_before = len(sari.events)
        updates_before = rows(db, "select * from updates order by update_id")
        now = int(time.time())
        message = {"message_id": 900, "date": now, "chat": sari.chat_dict(), "from": sari.user_dict()}
        question = api.chat_log(sari.id).messages[record.question_message_id].to_api()
        forged = [
            {"update_id": 990_001, "message": {**message, "text": "9"}},
            {"update_id": 990_002, "message": {**message, "text": "/delete",
                                               "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}},
            {"update_id": 990_003, "callback_query": {"id": "9900031", "from": sari.user_dict(), "chat_instance": "1",
                                                      "message": question, "data": "x:d"}},
            {"update_id": 990_004, "callback_query": {"id": "9900041", "from": sari.user_dict(), "chat_instance": "1",
                                                      "message": question, "data": f"x:r:{record.id}:"}},
        ]
        for update in forged:
            for token in (None, "wrong", secret.lower(), secret + "x", ""):
                assert await api.post_update_to(url, update, token) == 403, (update["update_id"], token)
        await api.wait_idle()
        assert snapshot(db, [sari.id]) == before
        assert rows(db, "select * from updates order by update_id") == updates_before
        assert len(sari.events) == seen_before
        # Telegram's own delivery (with the secret) of the same kind of answer goes through.
        await sari.send("9")
        await sari.next_message()
    assert rows(db, "select value from answers where question_id = 'team_size'") == [("9",)]
