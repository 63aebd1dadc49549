"""Shared by the hardening tests: one live bot for many examples, snapshots, and record invariants.

:class:`LiveBot` runs the real Matang application (python-telegram-bot, its HTTP client, SQLite in a
temporary file) polling a :class:`fakebotapi.FakeBotApi` on 127.0.0.1, on an event loop of its own,
so synchronous tests (hypothesis drives its examples synchronously) can share one bot across a
whole module: ``live.run(coroutine)`` runs one step to completion, bounded in time.

Nothing here is a test; the module is named ``test_*`` only to sit beside the tests it serves.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Iterable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

from bot.store import SessionRecord, Store
from bot.texts import t
from fakebotapi import FakeBotApi, SimUser
from interview_flows.answers import validate_answer
from interview_flows.engine import engine_for
from interview_flows.loader import load_flow

from .telegram_helpers import TOKEN, asked, eventually, matang_bot, open_record, send_answers

T = TypeVar("T")
STEP_SECONDS = 30.0
"""No single step of a test may take longer than this (every wait is bounded)."""


class LiveBot:
    """The real bot on a fake Bot API server, on a private event loop (see the module docstring)."""

    def __init__(self, tmp: Path, **settings: Any) -> None:
        self.db = tmp / "matang.db"
        self.settings = {"reminder_hours": 0.0, **settings}
        self.loop = asyncio.new_event_loop()
        self._stack = AsyncExitStack()
        self.api: FakeBotApi
        self.app: Any
        self.store: Store

    def start(self) -> LiveBot:
        """Start the server and the bot; returns self."""

        async def go() -> None:
            self.api = await self._stack.enter_async_context(FakeBotApi(token=TOKEN))
            self.app, self.store = await self._stack.enter_async_context(
                matang_bot(self.api, self.db, **self.settings)
            )

        self.run(go())
        return self

    def run(self, step: Awaitable[T], timeout: float = STEP_SECONDS) -> T:
        """Run one coroutine on the bot's loop (the bot runs meanwhile) and return its result."""
        return self.loop.run_until_complete(asyncio.wait_for(step, timeout))

    def close(self) -> None:
        """Stop the bot and the server and close the loop."""
        try:
            self.run(self._stack.aclose())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()

    # -- conveniences (coroutines: pass them to run) ---------------------------------------------

    def user(self, user_id: int, **kwargs: Any) -> SimUser:
        """The simulated user ``user_id``."""
        return self.api.user(user_id, **kwargs)

    async def idle(self) -> None:
        """Wait until every update was fetched and handled and the bot went quiet."""
        await self.api.wait_idle(timeout=STEP_SECONDS)

    async def alive(self, user: SimUser) -> str:
        """Send /help from ``user`` and return the reply's text: the bot still answers."""
        user.skip()
        await user.send("/help")
        reply = await user.next_message(timeout=10)
        assert reply.text and reply.text.startswith(t("tg_help", "en" if user.language_code == "en" else "id")), reply
        return reply.text

    async def asking(self, user: SimUser) -> SessionRecord:
        """The user's open session once a question is on screen; starts (or resumes) one if needed."""
        record = open_record(self.store, user.id)
        if record is not None and record.state == "paused":
            user.skip()
            await user.send("/resume")
            await user.next_message()
        elif record is None or record.state != "asking":
            # Agree by the button's data: the language may have been switched meanwhile.
            user.skip()
            await user.send("/start")
            prompt = await user.wait_for(lambda m: any((b.data or "").startswith("c:y") for r in m.buttons for b in r))
            await user.press_button(lambda b: (b.data or "").startswith("c:y"), prompt)
        record = await asked(user, self.store)
        if engine_for(load_flow(record.session.flow_id, record.session.flow_version)).checking(record.session):
            # Every question answered: send them, and begin a new interview with a question asked.
            await send_answers(user, self.store)
            return await self.asking(user)
        return record


# -- what the database says ---------------------------------------------------------------------


def rows(db: Path, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
    """Rows through a separate connection (what another process would read)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, tuple(args)).fetchall()
    finally:
        conn.close()


def respondent_ids(db: Path, user_ids: Iterable[int]) -> list[int]:
    """Internal ids of the Telegram respondents with these user ids."""
    ids = [str(u) for u in user_ids]
    marks = ",".join("?" * len(ids))
    return [r[0] for r in rows(db, f"select id from respondents where channel = 'telegram' and external_id in ({marks})",
                               ids)]


def snapshot(db: Path, user_ids: Iterable[int]) -> dict[str, list[tuple]]:
    """Every row that belongs to these Telegram users: respondent, sessions, answers, events, invites."""
    rids = respondent_ids(db, user_ids)
    marks = ",".join("?" * len(rids)) or "null"
    of_sessions = f"select id from sessions where respondent_id in ({marks})"
    return {
        "respondents": rows(db, f"select * from respondents where id in ({marks}) order by id", rids),
        "sessions": rows(db, f"select * from sessions where respondent_id in ({marks}) order by id", rids),
        "answers": rows(db, f"select * from answers where session_id in ({of_sessions})"
                            " order by session_id, question_id", rids),
        "events": rows(db, f"select * from events where session_id in ({of_sessions}) order by id", rids),
        "invites": rows(db, f"select * from invites where respondent_id in ({marks})"
                            " order by study_code, respondent_id", rids),
    }


def check_records(db: Path) -> None:
    """Invariants of the whole database, whatever was sent to the bot.

    Every stored answer is a valid answer to its question (validating it again changes nothing),
    and it is what the audit log says: the latest answer, change or skip event of that question is
    an answer or change whose new value is the stored value. No answer lacks its event.
    """
    latest: dict[tuple[int, str], tuple[str, str | None]] = {}
    for sid, qid, kind, new in rows(db, "select session_id, question_id, kind, new_value from events"
                                        " where kind in ('answer', 'change', 'skip') order by id"):
        latest[(sid, qid)] = (kind, new)
    flows = {sid: (fid, ver) for sid, fid, ver in rows(db, "select id, flow_id, flow_version from sessions")}
    stored = {(sid, qid): value for sid, qid, value in rows(db, "select session_id, question_id, value from answers")}
    for (sid, qid), value in stored.items():
        flow = load_flow(*flows[sid])
        decoded = json.loads(value)
        assert validate_answer(flow.question(qid), decoded) == decoded, (sid, qid, value)
        assert latest.get((sid, qid)) in (("answer", value), ("change", value)), (sid, qid, value, latest.get((sid, qid)))
    for key, (kind, _new) in latest.items():
        assert kind == "skip" or key in stored, key


def chat_events(api: FakeBotApi, user_ids: Iterable[int]) -> dict[int, int]:
    """How many things the bot did (sent, edited, deleted) in each of these chats."""
    return {u: len(api.chat_log(u).events) for u in user_ids}


async def until_replied(store: Store, update: dict[str, Any], timeout: float = 10.0) -> None:
    """Wait until the bot recorded ``update`` as handled and answered."""
    uid = update["update_id"]
    await eventually(lambda: (store.update_seen(uid) or {}).get("replied") == 1, timeout, f"update {uid} answered")


# -- raw bytes of the database files ----------------------------------------------------------------


def file_bytes(db: Path) -> bytes:
    """The database file and its -wal and -journal files, concatenated."""
    data = db.read_bytes()
    for suffix in ("-wal", "-journal"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            data += side.read_bytes()
    return data


def integer_encodings(n: int) -> list[bytes]:
    """How SQLite may write the integer ``n`` in a record: big-endian in 1, 2, 3, 4, 6 or 8 bytes."""
    found = []
    for size in (1, 2, 3, 4, 6, 8):
        if -(1 << (8 * size - 1)) <= n < (1 << (8 * size - 1)):
            found.append(n.to_bytes(size, "big", signed=True))
            break
    return found

