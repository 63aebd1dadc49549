"""Helpers for the Telegram tests: a bot on a fake Bot API server, and a respondent that answers.

The bot is the real Matang application (python-telegram-bot, its HTTP client, SQLite in
``tmp_path``) polling a :class:`fakebotapi.FakeBotApi` on 127.0.0.1. Waiting is always on a
condition (a message arrives, a row appears), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings
from bot.store import SessionRecord, Store
from bot.telegram.app import build_application, running
from fakebotapi import TINY_PNG, BotMessage, FakeBotApi, SimUser
from interview_flows.engine import engine_for
from interview_flows.loader import load_flow
from interview_flows.schema import DONT_KNOW, Question

ROOT = Path(__file__).resolve().parents[1]
SMALL = str(ROOT / "tests" / "flows" / "small.yaml")
CASES = ROOT / "tests" / "cases"
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwx12"
FAST_RETRIES = (0.05, 0.1, 0.2)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_chart(assessment: Any, lang: str) -> bytes:
    """A stand-in for the real chart where the picture does not matter (saves ~0.3 s each)."""
    return TINY_PNG


def make_settings(api_url: str, db: Path, flow: str = SMALL, **overrides: Any) -> Settings:
    """Settings for a test bot; nothing read from the environment matters."""
    values: dict[str, Any] = {
        "telegram_token": TOKEN, "telegram_api_url": api_url, "db": db, "flow": flow,
        "lang": "id", "reminder_hours": 24.0, "researchers": "",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def matang_bot(api: FakeBotApi, db: Path, *, flow: str = SMALL, chart: Any = fake_chart,
                     sweep_seconds: float = 60.0, webhook: dict[str, Any] | None = None,
                     **settings: Any) -> AsyncIterator[tuple[Any, Store]]:
    """The Matang bot polling (or on a webhook) against ``api``, with its store, for the body."""
    conf = make_settings(api.base_url, db, flow, **settings)
    store = Store.open(db)
    try:
        app = build_application(conf, store, retry_delays=FAST_RETRIES, sweep_seconds=sweep_seconds, chart=chart)
        async with running(app, webhook=webhook, poll_timeout=2):
            # An update fetched and still being handled leaves the server with nothing in
            # flight: make the server's idle wait for the bot's own queue too.
            unwatch = api.watch_client(lambda: handling(app))
            try:
                yield app, store
            finally:
                unwatch()
    finally:
        store.close()


def handling(app: Any) -> str | None:
    """What the application is still doing with updates it was given (None when nothing)."""
    queued = app.update_queue.qsize()
    busy = app.update_processor.current_concurrent_updates
    if queued or busy:
        return f"the bot has {queued} updates queued and {busy} being handled"
    return None


def open_record(store: Store, user_id: int) -> SessionRecord | None:
    """The user's open Telegram session, read from the store."""
    row = next(store.db.query("select id from respondents where channel = 'telegram' and external_id = ?",
                              [str(user_id)]), None)
    return store.open_session(row["id"]) if row else None


def rows(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Rows from the database file through a separate connection (as another process sees it)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def answers_in(db: Path) -> dict[str, Any]:
    """Every stored answer of the database, question id to decoded value."""
    import json

    return {q: json.loads(v) for q, v in rows(db, "select question_id, value from answers")}


def load_case(name: str) -> dict[str, Any]:
    """An answer file from ``tests/cases``."""
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


def default_answer(q: Question) -> Any:
    """A valid answer for any question: the first choice, the smallest number, a short text."""
    if q.type == "note":
        return None
    if q.type in ("single_choice", "yes_no"):
        return q.choices[0].value
    if q.type == "multiple_choice":
        return [next(c.value for c in q.choices if not c.exclusive)]
    if q.type == "scale":
        return q.scale_points()[0]
    if q.type == "number":
        return int(q.min or 0)
    return "Contoh jawaban singkat."


def question_message(user: SimUser, record: SessionRecord) -> BotMessage:
    """The bot's message asking the record's current question."""
    assert record.question_message_id is not None, "the question was never sent"
    return user.server.chat_log(user.id).messages[record.question_message_id]


def data_for(record: SessionRecord, q: Question, value: Any) -> str:
    """The callback data of the button that gives ``value`` (a single value) to ``q``."""
    pos = engine_for(load_flow(record.session.flow_id, record.session.flow_version)).flow.position(q.id)
    if value == DONT_KNOW:
        return f"a:{record.id}:{pos}:d"
    if q.type == "scale":
        return f"a:{record.id}:{pos}:{q.scale_points().index(value)}"
    index = [c.value for c in q.choices].index(value)
    return f"a:{record.id}:{pos}:{index}"


async def eventually(condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Wait (in this event loop) until ``condition()`` is truthy, checking every couple of ms."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met in {timeout}s")
        await asyncio.sleep(0.002)


async def asked(user: SimUser, store: Store) -> SessionRecord:
    """The open session once the bot has recorded its latest message as the one that asks the
    current question (the message is sent first, then its id is saved)."""
    def ready() -> SessionRecord | None:
        record = open_record(store, user.id)
        # Question messages (and only they) start with the italic progress or section line.
        sent = [e.message.message_id for e in user.events
                if e.kind == "sent" and (e.message.text or "").startswith("<i>")]
        if record is None or record.state != "asking" or not sent or record.question_message_id != sent[-1]:
            return None
        return record

    return await eventually(ready, what=f"a question asked of user {user.id}")


async def answer(user: SimUser, store: Store, value: Any = None, *, use_default: bool = True) -> Question:
    """Answer the current question as a person would (buttons, ticks and Done, or typing) and wait
    for the bot's next message. Returns the question answered."""
    record = await asked(user, store)
    assert record is not None and record.state == "asking", f"no question is being asked: {record}"
    flow = load_flow(record.session.flow_id, record.session.flow_version)
    q = engine_for(flow).current(record.session)
    assert q is not None
    if value is None and use_default:
        value = default_answer(q)
    message = question_message(user, record)
    pos = flow.position(q.id)
    user.skip()
    if q.type == "note":
        await user.press(f"n:{record.id}:{pos}", message.message_id)
    elif q.type == "multiple_choice" and value != DONT_KNOW:
        wanted = [value] if isinstance(value, str) else list(value)
        already = set(record.draft)
        for v in [c.value for c in q.choices]:
            if (v in wanted) != (v in already):
                await user.press(f"t:{record.id}:{pos}:{[c.value for c in q.choices].index(v)}", message.message_id)
                await user.next_event(lambda e: e.kind == "edited")
        await user.press(f"m:{record.id}:{pos}", message.message_id)
    elif q.type in ("single_choice", "yes_no", "scale", "multiple_choice"):
        await user.press(data_for(record, q, value), message.message_id)
    else:
        await user.send(str(value))
    await user.next_message(timeout=10)
    return q


async def run_interview(user: SimUser, store: Store, answers: dict[str, Any] | None = None,
                        stop: Callable[[Question], bool] | None = None) -> int:
    """Answer questions (from ``answers``, else a default) until the interview ends or ``stop(q)``
    holds for the question about to be answered. Returns how many steps were answered."""
    answers = answers or {}
    steps = 0
    while True:
        record = open_record(store, user.id)
        if record is None or record.state != "asking":
            return steps
        record = await asked(user, store)
        flow = load_flow(record.session.flow_id, record.session.flow_version)
        q = engine_for(flow).current(record.session)
        if q is None:  # the final check: send the answers as they are
            await send_answers(user, store)
            return steps
        if stop is not None and stop(q):
            return steps
        await answer(user, store, answers.get(q.id))
        steps += 1


async def send_answers(user: SimUser, store: Store) -> None:
    """At the final check, tap "Kirim jawaban" and wait for the result's first message."""
    record = await asked(user, store)
    assert engine_for(load_flow(record.session.flow_id, record.session.flow_version)).checking(record.session)
    user.skip()
    await user.press(f"k:{record.id}:s", record.question_message_id)
    await user.next_message(timeout=10)


async def consent(user: SimUser, lang: str = "id", start: str = "/start") -> None:
    """Send /start, agree, and wait for the first question."""
    user.skip()
    await user.send(start)
    prompt = await user.next_message()
    assert prompt.buttons, prompt
    await user.press_button("Ya, saya bersedia" if lang == "id" else "Yes, I agree", prompt)
    await user.next_message()  # thanks and how to answer
    await user.next_message()  # the first question


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``condition()`` (for checks on another process) until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met in {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def subprocess_env(api_url: str, db: Path, **extra: str) -> dict[str, str]:
    """Environment for ``matang run`` in a subprocess against the fake server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    env.update({
        "MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_TELEGRAM_API_URL": api_url, "MATANG_DB": str(db),
        "MATANG_FLOW": SMALL, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env
