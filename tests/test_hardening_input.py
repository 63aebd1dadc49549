"""Hostile and malformed input, fuzzed with hypothesis against the real bot.

One live bot (:class:`tests.test_hardening_support.LiveBot`: the real application, its HTTP client,
a SQLite file, a fake Bot API server on 127.0.0.1) serves the whole module. Two victims are in the
database before the first example: one halfway through an interview, one finished, with a free-text
answer of their own. Then an attacker (and strangers with odd ids) send malformed updates of every
kind, forged button data naming the victims' sessions and questions, and text full of control
characters, Unicode edge cases and SQL. After every example:

- the bot still answers ``/help`` (it never dies, polling never stalls);
- the victims' rows (respondent, sessions, answers, events, invites) are byte for byte as before,
  and the bot did nothing in their chats;
- every answer in the database is a valid answer to its question and matches its audit event;
- a typed answer is stored exactly as the flow's own reading of that text gives it, or refused
  with nothing changed.

The default run keeps to a few dozen examples per test; ``-m slow`` runs many more.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st

from bot.telegram import keyboards as kb
from bot.telegram.split_text import full_length
from bot.texts import t
from interview_flows.answers import AnswerError, clean_text, parse_text_answer
from interview_flows.engine import engine_for
from interview_flows.loader import load_flow

from .telegram_helpers import answer, consent, open_record, run_interview, send_answers
from .test_hardening_support import LiveBot, chat_events, check_records, rows, snapshot

VICTIM_MIDWAY = 610_000_001
VICTIM_DONE = 610_000_002
ATTACKER = 620_000_001
PROBE = 630_000_001
VICTIMS = (VICTIM_MIDWAY, VICTIM_DONE)
VICTIM_TEXT = "Rahasia-Korban-Zamrud-5521: kami membalas komentar warga setiap pagi."
HUGE_IDS = (0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 7, -(2**63) - 1)

COMMON = {
    "deadline": None,
    # One bot serves every example, so its state carries over: a shrunk example would not replay the
    # same way. The failing example is printed (note()) instead.
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """The bot, two victims (one midway, one finished), an attacker with an interview of their own."""
    bot = LiveBot(tmp_path_factory.mktemp("hardening-input")).start()

    async def people() -> None:
        store = bot.store
        midway = bot.user(VICTIM_MIDWAY, first_name="Vina", username="vina_humas")
        await consent(midway)
        await run_interview(midway, store, {"has_team": "yes", "team_size": 7}, stop=lambda q: q.id == "platforms")
        done = bot.user(VICTIM_DONE, first_name="Dodi", username="dodi_humas", language_code="en")
        await consent(done, "en")
        await run_interview(done, store, {"example": VICTIM_TEXT})
        attacker = bot.user(ATTACKER, first_name="Eve", language_code="en")
        await consent(attacker, "en")
        await answer(attacker, store)  # past the note: a real question is on screen
        await bot.idle()

    bot.run(people())
    bot.victims = snapshot(bot.db, VICTIMS)  # type: ignore[attr-defined]
    bot.victim_chats = chat_events(bot.api, VICTIMS)  # type: ignore[attr-defined]
    bot.victim_sessions = {r[0] for r in bot.victims["sessions"]}  # type: ignore[attr-defined]
    assert bot.victims["answers"] and len(bot.victim_sessions) == 2
    yield bot
    bot.close()


def untouched(live: LiveBot) -> None:
    """The victims' rows and chats are as they were, the records are consistent, the bot answers."""
    assert snapshot(live.db, VICTIMS) == live.victims  # type: ignore[attr-defined]
    assert chat_events(live.api, VICTIMS) == live.victim_chats  # type: ignore[attr-defined]
    check_records(live.db)
    live.run(live.alive(live.user(PROBE)))


# -- what hostile people send ------------------------------------------------------------------------

SPECIAL_TEXTS = [
    "'; DROP TABLE answers; --",
    "Robert'); DROP TABLE sessions;--",
    "1; DELETE FROM respondents WHERE 1=1",
    '" OR "1"="1',
    "%s%s%n {0} {__class__}",
    "<b>tebal</b> &amp; <script>alert(1)</script>",
    "\u202eRLO mengganti arah\u202c",
    "\u200fمرحبا بالعالم\u200f",
    "\u200b\u200c\u200d\u2060\ufeff",
    "👩\u200d💻 dan 👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈 🇮🇩",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "a\x00b",
    "\x00",
    "\ud800",
    "teks \udfff sendiri",
    "\r\n\t",
    "١٢",
    "٣",
    "1,2",
    "2; 1",
    "tidak tahu",
    "?",
    "1e309",
    "NaN",
    "-0",
    "007",
    "Ｙａ",
    "İ",
    "9" * 400,
    "kata " * 1000,
    "\U0010ffff",
]
nasty_chars = st.characters(categories=["Cc", "Cf", "Cs", "Co", "Mn", "Me", "Zs", "Zl", "Zp", "So", "Nd", "No", "Lo"])
texts = st.one_of(
    st.sampled_from(SPECIAL_TEXTS),
    st.text(max_size=40),
    st.text(nasty_chars, max_size=40),
    st.lists(st.sampled_from(SPECIAL_TEXTS) | st.text(nasty_chars, max_size=6), min_size=2, max_size=5).map("".join),
    st.text(st.sampled_from("0123456789,;. -"), max_size=12),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "💻", "\u200d", " "]), st.integers(150, 5000)),
)
commands = st.one_of(
    st.sampled_from(["/start", "/help", "/review", "/result", "/language", "/cancel", "/nosuch", "/", "/start@other_bot",
                     "/status", "/export", "/studies"]),
    st.builds(lambda c, arg: f"{c} {arg}", st.sampled_from(["/start", "/status", "/export", "/report", "/review"]),
              texts),
)
victim_or_own_ids = st.integers(0, 12)
positions = st.integers(-2, 12)
args = st.one_of(st.sampled_from(["0", "1", "2", "3", "9", "d", "-1", "²", "١", "1_0", " 1", "+1", ""]), st.text(max_size=6))
callback_data = st.one_of(
    st.builds(lambda k, s, p, a: f"{k}:{s}:{p}:{a}", st.sampled_from([kb.ANSWER, kb.TOGGLE]), victim_or_own_ids,
              positions, args),
    st.builds(lambda k, s, p: f"{k}:{s}:{p}", st.sampled_from([kb.DONE, kb.SKIP, kb.NOTE, kb.EDIT, kb.PAGE]),
              victim_or_own_ids, positions),
    st.builds(lambda s: f"{kb.RESUME}:{s}", victim_or_own_ids),
    st.builds(lambda s, c: f"x:r:{s}:{c}", victim_or_own_ids, st.sampled_from(["", "study1", "x" * 40])),
    st.sampled_from(["x:c", "x:d:1", "x:", "x:r", "x:r:abc", "l:en", "l:id", "l:fr", "c:y", "c:y:0:", "c:n:0:",
                     "c:y:1:nosuchstudy", "c:y:99:", "c:maybe:0:"]),
    st.text(max_size=70),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from(HUGE_IDS),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
UPDATE_KINDS = ["message", "edited_message", "callback_query", "channel_post", "my_chat_member", "inline_query",
                "message_reaction", "business_message", "poll", "purchased_paid_media", "no_such_update_kind"]


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a nested JSON document (the document itself included)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(paths(value, (*prefix, i)))
    return found


def integers_in(node: Any) -> set[int]:
    """Every integer anywhere in a JSON document."""
    if isinstance(node, bool):
        return set()
    if isinstance(node, int):
        return {node}
    if isinstance(node, dict):
        return set().union(*(integers_in(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(integers_in(v) for v in node)) if node else set()
    return set()


@st.composite
def malformed_updates(draw: st.DrawFn) -> dict[str, Any]:
    """An update of any kind, from the attacker or a stranger with an odd id, then broken: fields
    deleted, or replaced by values of the wrong type, huge numbers, nested junk."""
    kind = draw(st.sampled_from(UPDATE_KINDS))
    sender = draw(st.sampled_from([ATTACKER, ATTACKER, 640_000_001, *HUGE_IDS]))
    user = {"id": sender, "is_bot": False, "first_name": draw(texts), "language_code": draw(st.sampled_from(
        ["en", "id", "", "zz-ZZ", "\u202e"]))}
    chat = {"id": sender, "type": draw(st.sampled_from(["private", "private", "group", "channel", "weird"])),
            "first_name": "Eve"}
    text = draw(st.one_of(texts, commands))
    message: dict[str, Any] = {"message_id": draw(st.integers(-5, 2**40)), "date": int(time.time()), "chat": chat,
                               "from": user, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0] or "/")}]
    if kind == "callback_query":
        shown = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "?",
                 "from": {"id": 123456, "is_bot": True, "first_name": "Matang"}}
        body: Any = {"id": draw(st.text(min_size=1, max_size=12)), "from": user, "chat_instance": "1",
                     "data": draw(callback_data)}
        if draw(st.booleans()):
            body["message"] = shown
    elif kind in ("message", "edited_message", "channel_post", "business_message"):
        body = message
    else:
        body = draw(json_values)
    update: dict[str, Any] = {kind: body}
    extra = draw(st.sampled_from([None, None, None, "no_such_update_kind", "message", "callback_query"]))
    if extra is not None and extra != kind:
        update[extra] = draw(json_values)
    for _ in range(draw(st.integers(0, 3))):
        if not paths(update)[1:]:
            break
        where = draw(st.sampled_from(paths(update)[1:]))
        parent = update
        for step in where[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = draw(json_values)
    # Telegram numbers updates itself, positive and increasing; a wrong type is all that can be forged
    # here without making the fake server's queue and python-telegram-bot's offset disagree.
    uid = draw(st.sampled_from([None] * 6 + ["7", 1.5, True, [1]]))
    if uid is not None:
        update["update_id"] = uid
    # No one can send as a victim, nor into their chat: Telegram sets who sent an update.
    assume(not integers_in(update) & set(VICTIMS))
    return update


# -- malformed updates --------------------------------------------------------------------------------


def malformed_update_changes_nothing(live: LiveBot, update: dict[str, Any]) -> None:
    note(repr(update))
    live.run(live.api.enqueue_raw(update))
    live.run(live.idle())
    untouched(live)


@settings(max_examples=60, **COMMON)
@given(update=malformed_updates())
def test_malformed_updates_never_kill_the_bot_nor_touch_anyone_else(live, update):
    malformed_update_changes_nothing(live, update)


@pytest.mark.slow
@settings(max_examples=1500, **COMMON)
@given(update=malformed_updates())
def test_many_malformed_updates_never_kill_the_bot_nor_touch_anyone_else(live, update):
    malformed_update_changes_nothing(live, update)


def test_an_update_the_library_cannot_read_is_skipped_not_retried_forever(live, caplog):
    """One unreadable update used to fail its whole getUpdates batch, which was never confirmed:
    the same batch came back at once, forever, and nobody got an answer again."""
    attacker = live.user(ATTACKER)
    unreadable = {"message": {"message_id": 5, "date": "yesterday", "text": "hello",
                              "chat": {"id": ATTACKER, "type": "private"}, "from": attacker.user_dict()}}

    async def go() -> None:
        await live.api.enqueue_raw(unreadable)
        await live.api.enqueue_raw({"update_id": "not-a-number", "message": {}})
        await live.alive(live.user(PROBE))  # queued behind them, answered all the same
        await live.idle()

    live.run(go())
    skipped = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert skipped and all("hello" not in m for m in skipped)  # ids only, never contents
    written = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "hello" not in written and "yesterday" not in written  # nor in the library's own line
    untouched(live)


# -- forged button data ------------------------------------------------------------------------------


def forged_press_changes_nothing_of_others(live: LiveBot, data: str) -> None:
    note(repr(data))
    attacker = live.user(ATTACKER)
    target = attacker.last_message
    assert target is not None
    update = live.run(attacker.press(data, target.message_id))
    query_id = update["callback_query"]["id"]
    live.run(live.api.wait_until(lambda: live.api.callback_queries[query_id]["answered"], timeout=10))
    live.run(live.idle())
    parsed = kb.parse(data)
    victims = {str(s) for s in live.victim_sessions}  # type: ignore[attr-defined]
    named = parsed is not None and (
        str(parsed.session_id) in victims
        or (parsed.kind == kb.CONFIRM and parsed.arg.startswith("r:") and parsed.arg.split(":")[1] in victims)
    )
    if named:
        shown = live.api.callback_queries[query_id]["answer"] or {}
        assert shown.get("text") in (t("tg_already_answered", "en"), t("tg_already_answered", "id")), shown
    untouched(live)


@settings(max_examples=80, **COMMON)
@given(data=callback_data)
def test_forged_buttons_never_reach_another_persons_session(live, data):
    forged_press_changes_nothing_of_others(live, data)


@pytest.mark.slow
@settings(max_examples=1500, **COMMON)
@given(data=callback_data)
def test_many_forged_buttons_never_reach_another_persons_session(live, data):
    forged_press_changes_nothing_of_others(live, data)


# -- typed answers ----------------------------------------------------------------------------------


def typed_answer_is_stored_as_read(live: LiveBot, text: str) -> None:
    note(repr(text))
    attacker = live.user(ATTACKER)
    record = live.run(live.asking(attacker))
    flow = load_flow(record.session.flow_id, record.session.flow_version)
    q = engine_for(flow).current(record.session)
    assert q is not None
    lang = record.session.lang
    before = dict(record.session.answers)
    expected: Any = None
    if q.type == "text" and full_length(text):
        # As long as Telegram lets a message be: the first piece of a split text, never an answer.
        refusal: str | None = re.sub("[\ud800-\udfff]", "\ufffd", t("tg_split_text", lang, limit=q.max_length))
    else:
        try:
            expected = parse_text_answer(q, text, lang) if q.answerable else None
            refusal = None
        except AnswerError as err:
            # A lone surrogate cannot travel in UTF-8: the quoted text shows U+FFFD in its place.
            refusal = re.sub("[\ud800-\udfff]", "\ufffd", err.text(lang))
    attacker.skip()
    sent = live.run(attacker.send(text))
    live.run(live.idle())
    after = live.store.load(record.id)
    assert after is not None
    if not text:  # Telegram never sends an empty text; it is taken as "not a text"
        assert after.session.answers == before and after.session.cursor == record.session.cursor
    elif refusal is not None:
        assert after.session.answers == before and after.session.cursor == record.session.cursor
        replies = [e.message for e in attacker.events[attacker.cursor:] if e.kind == "sent"]
        assert [m.text for m in replies] == [refusal], replies
    elif q.answerable:
        stored = after.session.answers[q.id]
        assert stored == expected
        if q.type == "text":
            assert stored == clean_text(text) == unicodedata.normalize("NFC", stored)
            assert not hidden_characters(stored)
        assert live.store.update_seen(sent["update_id"]) is not None
    else:  # a note: any text goes on
        assert after.session.cursor != q.id or after.state != "asking"
    untouched(live)


JOINERS = "\u200c\u200d"
FLAG_TAGS = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]+\U000e007f")


def hidden_characters(text: str) -> list[str]:
    """Control, format and surrogate characters that should not be in a stored text: all of them
    but newline, tab, a single joiner between two characters, and the tags of a flag."""
    found = [ch for ch in FLAG_TAGS.sub("", text)
             if unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\n\t" + JOINERS]
    if re.search(f"[{JOINERS}]{{2}}", text) or (text and (text[0] in JOINERS or text[-1] in JOINERS)):
        found.append("joiner run or joiner at an end")
    return found


@settings(max_examples=70, **COMMON)
@given(text=texts)
def test_typed_answers_are_stored_exactly_as_the_flow_reads_them(live, text):
    assume(not text.startswith("/"))
    typed_answer_is_stored_as_read(live, text)


@pytest.mark.slow
@settings(max_examples=1500, **COMMON)
@given(text=texts)
def test_many_typed_answers_are_stored_exactly_as_the_flow_reads_them(live, text):
    assume(not text.startswith("/"))
    typed_answer_is_stored_as_read(live, text)


# -- what clean_text keeps and what it removes ------------------------------------------------------

MEANINGFUL_INVISIBLES = [
    "👩\u200d💻 dan 👨\u200d👩\u200d👧\u200d👦",  # emoji ZWJ sequences
    "🏳️\u200d🌈 dan ☎\ufe0e ☎\ufe0f",  # variation selectors, inside and outside a ZWJ sequence
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Skotlandia",  # a flag of tag characters
    "می\u200cخواهم",  # Persian: the non-joiner inside a word
    "क्\u200dष और क्\u200cष",  # Devanagari: joiner and non-joiner after a virama
    "葛\U000e0100城市",  # an ideographic variation sequence (the Japanese variant of a kanji)
]


@pytest.mark.parametrize("text", MEANINGFUL_INVISIBLES)
def test_free_text_keeps_the_joiners_variation_selectors_and_flags_that_carry_meaning(text):
    """Zero-width joiners used to be dropped with the other format characters: 👩‍💻 became 👩💻
    and Persian words fell apart."""
    assert clean_text(text) == text
    # What the cleaning removed before, it still removes around them.
    assert clean_text(f" \u202e\u200b{text}\x00\u2066\ufeff\u200d ") == text


@pytest.mark.parametrize(("text", "kept"), [
    ("a\U000e0041\U000e0042\U000e0043b", "ab"),  # tag characters outside a flag hide ASCII text
    ("🏴\U000e0041\U000e0042\U000e007f", "🏴"),  # capitals are no subdivision code
    ("a\u200c\u200d\u200c\u200db", "a\u200cb"),  # a run of joiners can only hide bits
    ("\u200d\u200c", ""),
    ("\u200dya\u200c", "ya"),  # a joiner at an end joins nothing
    ("e\u200b\u0301", "\u00e9"),  # what is left is composed again
    # Bytes smuggled as a run of variation selectors after an emoji: one selector is all a glyph takes.
    ("😀" + "\ufe01\ufe0e" * 40 + "\U000e0100" * 8 + " ya", "😀\ufe01 ya"),
    ("葛\U000e0100\U000e0101\U000e01ef", "葛\U000e0100"),
])
def test_free_text_loses_invisible_characters_that_carry_no_meaning(text, kept):
    assert clean_text(text) == kept


@settings(max_examples=300, deadline=None)
@given(text=texts | st.lists(st.sampled_from(MEANINGFUL_INVISIBLES) | st.text(nasty_chars, max_size=4),
                             max_size=6).map("".join))
def test_clean_text_is_stable_and_leaves_no_hidden_characters(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == unicodedata.normalize("NFC", cleaned)
    assert not hidden_characters(cleaned)


def test_a_typed_answer_keeps_its_emoji_sequences_and_joiners(live):
    """Through the bot: the text typed is stored with every joiner, flag and variation selector."""
    user = live.user(670_000_001, language_code="en")
    typed = " | ".join(MEANINGFUL_INVISIBLES)

    async def go() -> None:
        await consent(user, "en")
        await run_interview(user, live.store, {"example": "\u202e" + typed + "\u200b"})

    live.run(go())
    [(value,)] = rows(live.db, "select a.value from answers a join sessions s on s.id = a.session_id"
                               " join respondents r on r.id = s.respondent_id"
                               " where r.external_id = ? and a.question_id = 'example'", [str(user.id)])
    assert json.loads(value) == typed
    untouched(live)


def test_sql_in_every_field_is_only_text(live):
    """SQL in an answer, a name, a username and an invite code is stored and shown as text."""
    sql = "x'); DROP TABLE answers; --"
    sneaky = live.user(650_000_001, first_name=sql, username="drop_table_users", language_code="en")

    async def go() -> None:
        await consent(sneaky, "en", start=f"/start {sql}")  # an unknown invite code: a self-assessment
        await run_interview(sneaky, live.store, {"example": sql})

    live.run(go())
    record = live.store.latest_session(live.store.respondent("telegram", str(sneaky.id)))
    assert record is not None and record.state == "finished" and record.session.answers["example"] == sql
    tables = {name for (name,) in rows(live.db, "select name from sqlite_master where type = 'table'")}
    assert tables >= {"answers", "sessions", "respondents", "events", "updates", "meta"}
    untouched(live)


def at_question(live: LiveBot, user: Any, types: tuple[str, ...]) -> tuple[Any, Any]:
    """Answer the user's interview (default answers) until a question of one of ``types`` is asked."""

    async def go() -> tuple[Any, Any]:
        for _ in range(20):
            record = await live.asking(user)
            q = engine_for(load_flow(record.session.flow_id, record.session.flow_version)).current(record.session)
            if q is None:  # the final check: send, and the next round starts a new interview
                await send_answers(user, live.store)
                continue
            if q.type in types:
                return record, q
            await answer(user, live.store)
        raise AssertionError(f"no {types} question reached")

    return live.run(go())


def test_a_forged_choice_index_that_is_a_digit_but_not_a_number_is_refused(live):
    """Button data "a:<own session>:<current question>:²" used to crash the handler (int("²"))."""
    attacker = live.user(ATTACKER)
    for types, kind in ((("single_choice", "yes_no", "scale"), kb.ANSWER), (("multiple_choice",), kb.TOGGLE)):
        record, q = at_question(live, attacker, types)
        position = load_flow(record.session.flow_id, record.session.flow_version).position(q.id)
        for arg in ("²", "١", "٣٣"):
            update = live.run(attacker.press(f"{kind}:{record.id}:{position}:{arg}", record.question_message_id))
            query_id = update["callback_query"]["id"]
            live.run(live.api.wait_until(lambda q=query_id: live.api.callback_queries[q]["answered"], timeout=10))
            live.run(live.idle())
            shown = live.api.callback_queries[query_id]["answer"] or {}
            if arg == "²":
                assert shown.get("text") == t("tg_already_answered", record.session.lang), shown
        assert not [e for e in attacker.events if e.kind == "sent" and e.message.text == t("tg_error", "en")]
    untouched(live)


def test_a_review_number_that_is_a_digit_but_not_a_number_is_refused_in_the_terminal(tmp_path):
    """``ubah ²`` in ``matang interview`` used to end the interview in a traceback (int("²"))."""
    from .conftest import TEST_FLOWS

    lines = ["ya", "", "ya", "4", "review", "ubah ²", "ubah 1", "tidak", "1,3"]
    done = subprocess.run([sys.executable, "-m", "bot.cli", "interview", "--flow", str(TEST_FLOWS / "small.yaml"),
                           "--user", "sari", "--db", str(tmp_path / "m.db")], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert t("terminal_edit_usage", "id") in done.stdout
    assert rows(tmp_path / "m.db", "select question_id, new_value from events where kind = 'change'") == [
        ("has_team", '"no"')]


def test_a_superscript_digit_typed_for_a_choice_is_refused_like_any_unknown_choice(live):
    attacker = live.user(ATTACKER)
    record, q = at_question(live, attacker, ("single_choice", "yes_no"))
    attacker.skip()
    live.run(attacker.send("²"))
    reply = live.run(attacker.next_message())
    assert reply.text != t("tg_error", record.session.lang)
    assert open_record(live.store, ATTACKER).session.cursor == q.id


def test_a_number_too_big_for_a_float_is_refused_as_out_of_range(live):
    attacker = live.user(ATTACKER)
    record, q = at_question(live, attacker, ("number",))
    attacker.skip()
    live.run(attacker.send("9" * 400))
    reply = live.run(attacker.next_message())
    assert reply.text != t("tg_error", record.session.lang)
    assert open_record(live.store, ATTACKER).session.cursor == q.id


def test_a_lone_surrogate_quoted_back_does_not_turn_the_explanation_into_an_apology(live):
    """JSON lets an update carry "\\udfff"; quoting it back used to fail the send (UTF-8 cannot carry
    it), so the person got the generic apology instead of why their answer was refused."""
    attacker = live.user(ATTACKER)
    record, q = at_question(live, attacker, ("single_choice", "yes_no"))
    attacker.skip()
    live.run(attacker.send("pilihan \udfff aneh"))
    reply = live.run(attacker.next_message())
    assert reply.text == parse_error(q, "pilihan \ufffd aneh", record.session.lang)
    assert open_record(live.store, ATTACKER).session.cursor == q.id
    newcomer = live.user(660_000_001, language_code="en")  # no interview yet: the consent, with a notice
    live.run(newcomer.send("/start kode\ud800"))
    reply = live.run(newcomer.next_message())
    assert t("tg_study_unknown", "en", code="kode\ufffd") in reply.plain_text and reply.buttons
    untouched(live)


def parse_error(q: Any, text: str, lang: str) -> str:
    try:
        parse_text_answer(q, text, lang)
    except AnswerError as err:
        return err.text(lang)
    raise AssertionError(f"{text!r} is an answer to {q.id}")


def test_digits_that_are_not_numbers_are_refused_cleanly_by_settings_and_matang_delete(tmp_path):
    """ "²" passes str.isdigit() but not int(): it used to pass the MATANG_RESEARCHERS check (and
    fail later, in a researcher command) and to end `matang delete --respondent ²` in a traceback."""
    from pydantic import ValidationError

    from bot.commands.admin import RespondentNotFound, find_respondent
    from bot.settings import Settings
    from bot.store import Store

    with pytest.raises(ValidationError, match="not a Telegram user id"):
        Settings(researchers="12,²")
    store = Store.open(tmp_path / "m.db")
    try:
        with pytest.raises(RespondentNotFound):
            find_respondent(store, "²")
    finally:
        store.close()
