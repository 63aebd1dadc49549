"""Long polling (``bot.telegram.polling``): what it asks the Bot API, and what it does when the
Bot API errs, through the fake Bot API and python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.error import InvalidToken

from bot.telegram.context import KEY
from fakebotapi import FakeBotApi

from .telegram_helpers import answers_in, consent, matang_bot


def long_poll(app):
    return app.bot_data[KEY].extra["long_poll"]


async def test_a_webhook_left_behind_is_deleted_before_polling(api: FakeBotApi, tmp_path):
    await api.api_setWebhook({"url": "https://old.example.org/hook"}, {})
    async with matang_bot(api, tmp_path / "m.db") as (app, _):
        user = api.user(4101)
        await consent(user)
        assert api.webhook is None
        methods = [c.method for c in api.calls if c.method in ("deleteWebhook", "getUpdates")]
        assert methods[0] == "deleteWebhook" and "getUpdates" in methods
        assert long_poll(app).running


async def test_fetched_updates_are_confirmed_when_the_bot_stops(api: FakeBotApi, tmp_path):
    db = tmp_path / "m.db"
    async with matang_bot(api, db) as (app, _):
        user = api.user(4102)
        await consent(user)
        await api.wait_idle()
        offset = long_poll(app).offset
        assert offset is not None and long_poll(app).fetched >= 2
    last = api.calls_for("getUpdates")[-1]
    assert last.params.get("offset") == offset and last.params.get("timeout") in (0, "0", None)
    # Nothing is handed out again to the next bot: no answer is applied twice after a restart.
    sent = len(api.calls_for("sendMessage"))
    async with matang_bot(api, db):
        await api.wait_idle()
    assert len(api.calls_for("sendMessage")) == sent


async def test_a_failing_poll_is_retried_and_no_answer_is_lost(api: FakeBotApi, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="bot.telegram")
    db = tmp_path / "m.db"
    async with matang_bot(api, db):
        user = api.user(4103)
        await consent(user)  # the first question is a note: "Lanjut"
        user.skip()
        await user.press_button("Lanjut")
        asks = await user.next_message()
        await api.wait_idle()
        api.fail_next("getUpdates", 502, times=2)
        # The waiting poll ends (2 s here), the next two fail (then 1 s and 1.5 s of back-off).
        await api.wait_until(lambda: sum(c.status == 502 for c in api.calls_for("getUpdates")) == 2, 10)
        user.skip()
        await user.press_button("Ya", asks)
        message = await user.next_message(timeout=10)  # polling went on: the press is answered
        assert "Berapa orang anggota tim?" in message.plain_text
    assert answers_in(db) == {"has_team": "yes"}
    failures = [r.getMessage() for r in caplog.records if "long polling failed" in r.getMessage()]
    assert len(failures) == 2 and "again in 1.0 s" in failures[0] and "again in 1.5 s" in failures[1]


async def test_a_flood_limit_on_polling_waits_as_telegram_asks(api: FakeBotApi, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="bot.telegram")
    async with matang_bot(api, tmp_path / "m.db"):
        user = api.user(4104)
        await api.wait_idle()
        api.fail_next("getUpdates", 429, retry_after=1)
        await user.send("/start")
        assert (await user.next_message(timeout=10)).buttons
    waits = [r.getMessage() for r in caplog.records if "flood limit" in r.getMessage()]
    assert waits == ["long polling: flood limit, waiting 1.5 s"]


async def test_a_token_refused_while_polling_ends_polling_with_invalid_token(api: FakeBotApi, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (app, _):
        await api.wait_idle()
        api.fail_next("getUpdates", 401)
        await api.enqueue({"update_id": 990_001})  # ends the waiting poll; the next one is refused
        with pytest.raises(InvalidToken):
            await asyncio.wait_for(asyncio.shield(long_poll(app).done), 10)
        assert not long_poll(app).running
