"""Webhook mode and updates it cannot read: skipped like in long polling, never retried forever.

The real bot serves its webhook on 127.0.0.1; the fake Bot API server delivers updates to it as
Telegram does (with the secret token, retrying on any answer but 2xx). An update the bot cannot
read used to be answered 400 and logged whole: Telegram sent it again and again, holding back
the updates behind it, and the log held the message text and the sender's name.
"""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx

from bot.texts import t

from .telegram_helpers import consent, matang_bot, open_record, rows
from .test_hardening_support import snapshot

SECRET = "Rahasia_webhook-2026"
PATH = "matang-hook"
SENDER = 750_000_001
PRIVATE_TEXT = "Pesan-Rahasia-Merpati-3381"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webhook_for(port: int) -> dict[str, object]:
    return {"listen": "127.0.0.1", "port": port, "url_path": PATH, "webhook_url": f"http://127.0.0.1:{port}/{PATH}",
            "secret_token": SECRET}


async def test_a_webhook_update_the_bot_cannot_read_is_answered_200_skipped_and_logged_by_id(api, tmp_path, caplog):
    caplog.set_level(logging.INFO)  # the default level: DEBUG logs whole updates by design (docs/data-protection.md)
    db = tmp_path / "m.db"
    port = free_port()
    async with matang_bot(api, db, webhook=webhook_for(port)) as (_, store):
        sari = api.user(SENDER, first_name="Sari-Kenari", language_code="en")
        await consent(sari, "en")
        await api.wait_idle()
        before = snapshot(db, [SENDER])
        updates_before = rows(db, "select * from updates order by update_id")
        seen = len(sari.events)
        message = {"message_id": 77, "text": PRIVATE_TEXT, "chat": sari.chat_dict(), "from": sari.user_dict()}
        unreadable = [
            {"update_id": 880_001, "message": {**message, "date": "yesterday"}},  # a field of the wrong type
            {"update_id": 880_002, "callback_query": {"id": "1", "from": sari.user_dict(), "data": "x:d"}},  # no chat_instance
            {"update_id": "880003", "message": {**message, "date": int(time.time())}},  # an id that is no number
        ]
        for update in unreadable:
            await api.enqueue_raw(update)
        await api.wait_idle()
        # Telegram got 200 at the first attempt: nothing is sent again, nothing was given up.
        tried = [(d.update_id, d.attempt, d.status) for d in api.deliveries if d.update_id in (880_001, 880_002, "880003")]
        assert sorted(tried, key=str) == sorted([(880_001, 1, 200), (880_002, 1, 200), ("880003", 1, 200)], key=str)
        assert api.webhook_failed == []
        # Nothing was processed: no row, no reply.
        assert snapshot(db, [SENDER]) == before
        assert rows(db, "select * from updates order by update_id") == updates_before
        assert len(sari.events) == seen
        # The updates behind them are answered as usual.
        sari.skip()
        await sari.send("/help")
        assert (await sari.next_message()).text.startswith(t("tg_help", "en"))
    logged = [r.getMessage() for r in caplog.records]
    assert any("update 880001 cannot be read" in m for m in logged)
    assert any("update 880002 cannot be read" in m for m in logged)
    assert any("without a numeric update_id" in m for m in logged)
    # Ids only: neither the text nor the sender's name reaches the log.
    assert not [m for m in logged if PRIVATE_TEXT in m or "Sari-Kenari" in m]


async def test_a_webhook_request_that_is_not_json_is_answered_200_and_changes_nothing(api, tmp_path):
    db = tmp_path / "m.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/{PATH}"
    async with matang_bot(api, db, webhook=webhook_for(port)) as (_, store):
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        async with httpx.AsyncClient() as client:
            for body in (b"{not json", b"\xff\xfe", b"[1, 2]", b"null"):
                reply = await client.post(url, content=body, headers=headers)
                assert reply.status_code == 200, body
            # Without the secret it is still 403, whatever the body.
            reply = await client.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
            assert reply.status_code == 403
        user = api.user(SENDER + 1, language_code="en")
        await consent(user, "en")
        assert open_record(store, user.id) is not None
    assert rows(db, "select count(*) from respondents") == [(1,)]


async def test_a_webhook_body_over_one_mebibyte_is_refused_unread_and_the_bot_goes_on(api, tmp_path):
    db = tmp_path / "m.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/{PATH}"
    async with matang_bot(api, db, webhook=webhook_for(port)) as (_, store):
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        body = json.dumps({"update_id": 990_001, "padding": "x" * (2 * 1024 * 1024)}).encode()
        async with httpx.AsyncClient() as client:
            try:
                reply = await client.post(url, content=body, headers=headers)
                refused = reply.status_code >= 400
            except httpx.TransportError:  # the server may close the connection mid-upload
                refused = True
        assert refused
        user = api.user(SENDER + 2, language_code="en")
        await consent(user, "en")
        assert open_record(store, user.id) is not None


async def test_a_press_is_answered_inside_the_webhook_reply_and_its_buttons_still_disappear(api, tmp_path):
    """The Bot API takes one method call in a webhook's reply: each press's answerCallbackQuery
    goes there, so a press costs one request less."""
    from .telegram_helpers import run_interview

    db = tmp_path / "m.db"
    async with matang_bot(api, db, webhook=webhook_for(free_port())) as (_, store):
        sari = api.user(SENDER, language_code="id")
        await consent(sari)
        await run_interview(sari, store)
        await api.wait_idle()
    answers = api.calls_for("answerCallbackQuery")
    assert answers and all(c.in_webhook_reply and c.ok for c in answers)
    assert all(q["answered"] for q in api.callback_queries.values())
    assert len(answers) == len(api.callback_queries)  # each press answered once
    # Answered questions lost their buttons; only the result keeps its own (explanation, suggestions, PDF).
    left = [m for m in sari.messages if m.buttons]
    assert [b.data.split(":")[0] for m in left for row in m.buttons for b in row] == ["h", "h", "h"]


async def test_a_press_the_bot_answers_late_is_answered_with_a_request_of_its_own(api, tmp_path, monkeypatch):
    from bot.telegram import webhook

    monkeypatch.setattr(webhook, "REPLY_WAIT", 0.0)  # the reply never waits for the answer
    db = tmp_path / "m.db"
    async with matang_bot(api, db, webhook=webhook_for(free_port())) as (_, store):
        sari = api.user(SENDER, language_code="id")
        await consent(sari)
        await api.wait_idle()
    answers = api.calls_for("answerCallbackQuery")
    assert answers and not any(c.in_webhook_reply for c in answers)
    assert all(q["answered"] for q in api.callback_queries.values())
