"""The fake Bot API server, checked with bare python-telegram-bot bots over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from benchmarks.echo import build_echo_application, echo, polling
from benchmarks.load import drive
from fakebotapi import TINY_PNG, FakeBotApi, FakeBotApiThread

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def api():
    """A running fake Bot API server."""
    async with FakeBotApi() as server:
        yield server


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_text_round_trip_through_ptb_polling(api):
    async with polling(build_echo_application(api.base_url, api.token)):
        sari = api.user(1001, first_name="Sari")
        update = await sari.send("halo")
        reply = await sari.next_message()
        assert reply.text == "halo"
        assert reply.message_id == update["message"]["message_id"] + 1
        await api.wait_idle(timeout=2)
    first = [c.method for c in api.calls[:3]]
    assert first == ["getMe", "deleteWebhook", "getUpdates"]
    (sent,) = api.calls_for("sendMessage")
    assert sent.params["chat_id"] == 1001 and sent.ok
    assert sari.last_message is reply


async def test_wrong_token_and_unknown_method_are_refused(api):
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"{api.base_url}999:nope/getMe")
        unknown = await client.post(f"{api.base_url}{api.token}/sendTelepathy")
        me = await client.get(f"{api.base_url}{api.token}/getMe")
    assert bad.status_code == 401
    assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert unknown.status_code == 404 and unknown.json()["error_code"] == 404
    assert me.json()["result"]["username"] == "matang_test_bot"


async def test_a_json_body_reads_as_the_same_call_in_form_fields(api):
    """As the Bot API reads JSON: string fields mean what they mean in a form, objects stay objects."""
    api.user(77)
    keyboard = {"inline_keyboard": [[{"text": "Ya", "callback_data": "a:1:2:0"}]]}
    async with httpx.AsyncClient() as client:
        url = f"{api.base_url}{api.token}/sendMessage"
        await client.post(url, json={"chat_id": 77, "text": "123", "reply_markup": keyboard})
        await client.post(url, json={"chat_id": "77", "text": "123", "reply_markup": json.dumps(keyboard)})
        await client.post(url, data={"chat_id": "77", "text": "123", "reply_markup": json.dumps(keyboard)})
    sent = [c for c in api.calls if c.method == "sendMessage"]
    assert [c.content_type for c in sent] == ["application/json"] * 2 + ["application/x-www-form-urlencoded"]
    assert [c.params for c in sent] == [{"chat_id": 77, "text": "123", "reply_markup": keyboard}] * 3
    assert [m.text for m in api.user(77).messages] == ["123"] * 3


async def test_get_updates_long_poll_offset_and_conflict(api):
    url = f"{api.base_url}{api.token}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(url, data={"timeout": 0})).json()["result"] == []
        poll = asyncio.create_task(client.post(url, data={"timeout": 5}))
        await api.wait_until(lambda: api._waiting_polls == 1)
        started = time.monotonic()
        update = await api.user(7).send("/start ABC")
        got = (await poll).json()["result"]
        assert time.monotonic() - started < 1
        assert got == [update]
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        # not confirmed yet: handed out again; confirmed by offset: gone
        again = (await client.post(url, data={"offset": 0})).json()["result"]
        assert again == [update]
        confirm = {"offset": update["update_id"] + 1, "timeout": 0}
        assert (await client.post(url, data=confirm)).json()["result"] == []
        # a second poller ends the first one with 409, like Telegram
        older = asyncio.create_task(client.post(url, json={"timeout": 5}))
        await api.wait_until(lambda: api._waiting_polls == 1)
        newer = asyncio.create_task(client.post(url, json={"timeout": 0}))
        assert (await older).status_code == 409
        assert (await newer).status_code == 200


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer two inline buttons."""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ya", callback_data="ans:yes"),
                InlineKeyboardButton("Tidak", callback_data="ans:no"),
            ]
        ]
    )
    await update.effective_message.reply_text("Setuju?", reply_markup=keyboard)


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press and replace the question with the choice."""
    query = update.callback_query
    await query.answer("ok")
    await query.edit_message_text(f"Pilihan: {query.data}")


async def test_button_press_answer_and_edit(api):
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handlers([CommandHandler("menu", menu), CallbackQueryHandler(chosen)])
    async with polling(app):
        user = api.user(1002)
        await user.send("/menu")
        question = await user.next_message()
        assert question.buttons == [[("Ya", "ans:yes"), ("Tidak", "ans:no")]]
        update = await user.press_button("Ya")
        assert update["callback_query"]["message"]["message_id"] == question.message_id
        edited = await user.wait_for(lambda m: m.text.startswith("Pilihan"))
    assert edited is question and edited.text == "Pilihan: ans:yes"
    assert edited.buttons == []  # editing without reply_markup removes the keyboard
    assert edited.edits[0]["text"] == "Setuju?"
    (answer,) = api.calls_for("answerCallbackQuery")
    assert answer.params["text"] == "ok"
    assert api.callback_queries[update["callback_query"]["id"]]["answered"]


async def test_edit_errors_match_telegram(api):
    async with Bot(api.token, base_url=api.base_url) as bot:
        msg = await bot.send_message(5, "satu")
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("satu", chat_id=5, message_id=msg.message_id)
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_text("dua", chat_id=5, message_id=999)
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(5, "<b>unclosed", parse_mode="HTML")
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(5, "pilih", reply_markup=too_long)
        await bot.edit_message_text("dua", chat_id=5, message_id=msg.message_id)
    assert api.user(5).messages[0].text == "dua"


# PTB's own AIORateLimiter reads RetryAfter.retry_after, which 22.x marks deprecated.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_is_retried_by_the_rate_limiter(api):
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .rate_limiter(AIORateLimiter(max_retries=2))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    api.fail_next("sendMessage", 429, retry_after=1)
    async with polling(app):
        user = api.user(1003)
        await user.send("sabar")
        reply = await user.next_message(timeout=5)
    assert reply.text == "sabar"
    limited, sent = api.calls_for("sendMessage")
    assert (limited.status, sent.status) == (429, 200)
    assert sent.at - limited.at >= 1.0


async def test_dropped_connection_is_a_network_error(api):
    async with Bot(api.token, base_url=api.base_url) as bot:
        api.drop_next("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(8, "hilang")
        assert api.user(8).messages == []
        api.drop_next("sendMessage", after_processing=True)
        with pytest.raises(NetworkError):
            await bot.send_message(8, "terkirim")
        await bot.send_message(8, "lagi")
    assert [m.text for m in api.user(8).messages] == ["terkirim", "lagi"]
    assert [c.status for c in api.calls_for("sendMessage")] == [0, 0, 200]


async def photo_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the user's photo, send it back, and add a document."""
    file = await update.message.photo[-1].get_file()
    data = bytes(await file.download_as_bytearray())
    await update.message.reply_photo(data, caption="foto kamu")
    await update.message.reply_document(b"a,b\n1,2\n", filename="jawaban.csv")


async def test_photo_and_document_uploads_keep_their_bytes(api):
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.PHOTO, photo_back))
    async with polling(app):
        user = api.user(1004)
        await user.send_photo(TINY_PNG)
        photo = await user.next_message()
        document = await user.next_message()
    assert photo.kind == "photo" and photo.photo == TINY_PNG and photo.caption == "foto kamu"
    assert api.calls_for("sendPhoto")[0].files["photo"].data == TINY_PNG
    assert (document.document, document.filename) == (b"a,b\n1,2\n", "jawaban.csv")
    assert api.calls_for("getFile")[0].ok


async def test_getfile_and_the_file_url_behave_like_the_bot_api(api):
    import aiohttp

    user = api.user(1010)
    voice = (await user.send_voice(duration=4, data=b"OggS voice"))["message"]["voice"]
    async with aiohttp.ClientSession() as http:
        async def call(method: str, **params):
            async with http.post(f"{api.base_url}{api.token}/{method}", data=params) as r:
                return r.status, await r.json()

        status, body = await call("getFile", file_id=voice["file_id"])
        assert status == 200 and body["result"]["file_unique_id"] == voice["file_unique_id"]
        path = body["result"]["file_path"]
        assert path.startswith("voice/file_") and path.endswith(".ogg") and body["result"]["file_size"] == 10
        assert (await call("getFile", file_id=voice["file_id"]))[1]["result"]["file_path"] == path  # stable
        async with http.get(f"{api.base_file_url}{api.token}/{path}") as r:
            assert r.status == 200 and await r.read() == b"OggS voice"
        async with http.get(f"{api.base_file_url}{api.token}/voice/file_999.ogg") as r:
            assert r.status == 404
        async with http.get(f"{api.base_file_url}wrong:token/{path}") as r:
            assert r.status == 401
        api.download_limit = 5  # as Telegram's 20 MB, scaled down
        status, body = await call("getFile", file_id=voice["file_id"])
        assert (status, body["description"]) == (400, "Bad Request: file is too big")


async def test_redelivered_update_reaches_the_bot_again(api):
    seen: list[int] = []

    async def count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    app = build_echo_application(api.base_url, api.token)
    app.add_handler(TypeHandler(Update, count), group=-1)
    async with polling(app):
        user = api.user(1005)
        update = await user.send("sekali")
        await user.next_message()
        await api.wait_idle(timeout=2)
        await api.redeliver(update)
        assert (await user.next_message()).text == "sekali"
        await user.send("berikutnya")
        assert (await user.next_message()).text == "berikutnya"
    assert seen[:2] == [update["update_id"]] * 2 and len(seen) == 3


async def test_next_message_times_out_with_a_description(api):
    user = api.user(1006)
    await user.send("ada orang?")
    with pytest.raises(TimeoutError, match="chat 1006"):
        await user.next_message(timeout=0.1)
    with pytest.raises(TimeoutError, match="1 updates not fetched"):
        await api.wait_idle(timeout=0.1)


async def test_idle_waits_for_a_watched_client_still_handling_what_it_fetched(api):
    """Between fetching an update and replying, nothing is in flight: only the client knows."""
    work = {"left": 3}

    def busy() -> str | None:
        return f"{work['left']} steps left" if work["left"] else None

    unwatch = api.watch_client(busy)
    with pytest.raises(TimeoutError, match="3 steps left"):
        await api.wait_idle(timeout=0.05)

    async def finish() -> None:
        while work["left"]:
            await asyncio.sleep(0.02)
            work["left"] -= 1

    task = asyncio.create_task(finish())
    await api.wait_idle(timeout=2)
    assert work["left"] == 0 and task.done()
    unwatch()
    work["left"] = 1
    await api.wait_idle(timeout=0.5)  # no longer watched


def test_thread_hosted_server_drives_a_bot_in_a_subprocess(tmp_path):
    with FakeBotApiThread() as api, open(tmp_path / "bot.log", "w+") as log:
        env = {
            **os.environ,
            "MATANG_TELEGRAM_API_URL": api.base_url,
            "MATANG_TELEGRAM_TOKEN": api.token,
            "PYTHONPATH": str(ROOT),
        }
        bot = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.echo"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            user = api.user(1007, first_name="Budi")
            user.send("/start")
            assert user.next_message(timeout=15).text == "/start"
            api.fail_next("sendMessage", 500)
            user.send("lagi")
            user.send("dan lagi")
            assert user.next_message(timeout=5).text == "dan lagi"
            assert [c.status for c in api.calls_for("sendMessage")] == [200, 500, 200]
            assert [m.text for m in user.messages] == ["/start", "dan lagi"]
        finally:
            bot.terminate()
            bot.wait(10)
            log.seek(0)
            print(log.read()[-3000:])  # shown by pytest when the test fails


async def test_webhook_delivery_with_secret_token(api):
    port = free_port()
    app = build_echo_application(api.base_url, api.token)
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        secret_token="rahasia-1",
        webhook_url=f"http://127.0.0.1:{port}/hook",
    )
    try:
        assert api.webhook.url.endswith("/hook") and api.webhook.secret_token == "rahasia-1"
        user = api.user(1008)
        await user.send("lewat webhook")
        assert (await user.next_message()).text == "lewat webhook"
        assert [d.status for d in api.deliveries] == [200]
        forged = {"update_id": 9999, "message": {}}
        assert await api.post_update_to(api.webhook.url, forged, secret_token="salah") == 403
        async with httpx.AsyncClient() as client:
            conflict = await client.post(f"{api.base_url}{api.token}/getUpdates")
        assert conflict.status_code == 409
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_failed_webhook_delivery_is_retried(api):
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=500 if len(received) == 1 else 200)

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with Bot(api.token, base_url=api.base_url) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3")
            update = await api.user(1009).send("halo")
            await api.wait_idle(timeout=3)
            info = await bot.get_webhook_info()
    finally:
        await runner.cleanup()
    assert [r[0] for r in received] == ["s3", "s3"]
    assert received[1][1] == update
    assert [d.status for d in api.deliveries] == [500, 200]
    assert info.pending_update_count == 0 and "500" in info.last_error_message


async def test_load_driver_against_the_echo_floor(api):
    async with polling(build_echo_application(api.base_url, api.token)):
        result = await drive(api, n_users=5, messages_per_user=4)
    assert (result.count, result.errors) == (20, 0)
    assert 0 < result.p50_ms <= result.p99_ms and result.rate > 0


def test_blocking_view_runs_in_another_loop_thread():
    """The thread-hosted server also serves a bot running in this process, in another thread."""
    with FakeBotApiThread() as api:
        stop = threading.Event()

        async def run_bot() -> None:
            async with polling(build_echo_application(api.base_url, api.token)):
                await asyncio.to_thread(stop.wait)

        thread = threading.Thread(target=asyncio.run, args=(run_bot(),))
        thread.start()
        try:
            user = api.user(1010)
            user.send("dari thread")
            assert user.next_message(timeout=10).text == "dari thread"
            api.wait_idle(timeout=5)
            assert len(api.calls_for("sendMessage")) == 1
        finally:
            stop.set()
            thread.join(10)
