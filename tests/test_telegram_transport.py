"""The HTTP client under the Bot API calls (``bot.telegram.transport``), through the fake Bot API.

Every call shape the bot makes is sent by the aiohttp client and by the library's own httpx client
and must reach the server the same way; errors must be the library's own (``TimedOut``,
``NetworkError``); a proxy, when set, carries every call; nothing is left open at shutdown.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import warnings
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.telegram.delivery import WrappedRequest
from bot.telegram.transport import AiohttpRequest, make_request
from fakebotapi import TINY_PNG, FakeBotApi
from tests.telegram_helpers import TOKEN, matang_bot

CLIENTS = ("aiohttp", "httpx")
CHAT = 4242


@asynccontextmanager
async def bot_on(api: FakeBotApi, request, base_url: str | None = None):
    """A bare python-telegram-bot ``Bot`` on ``request`` against ``api`` (or ``base_url``)."""
    bot = Bot(TOKEN, base_url=base_url or api.base_url, base_file_url=api.base_file_url, request=request,
              get_updates_request=make_request("aiohttp", 1))
    async with bot:
        yield bot


async def every_call_shape(bot: Bot, api: FakeBotApi, tmp_path: Path) -> dict:
    """Make each kind of call the bot makes; what the server saw, by method."""
    api.user(CHAT)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya, lanjut", callback_data="c:y")]])
    message = await bot.send_message(CHAT, "<b>Pertanyaan</b> satu", parse_mode="HTML", reply_markup=keyboard)
    await bot.edit_message_text("<i>Sudah dijawab</i> ✅", chat_id=CHAT, message_id=message.message_id,
                                parse_mode="HTML")
    await bot.send_photo(CHAT, TINY_PNG, caption="Profil kematangan")
    await bot.send_document(CHAT, b"%PDF-1.4 laporan", filename="laporan-matang.pdf")
    api.store_file("voice-1", b"OggS\x00voice answer", "voice.ogg", "audio/ogg")
    voice = await bot.get_file("voice-1")
    downloaded = bytes(await voice.download_as_bytearray())
    on_disk = await voice.download_to_drive(tmp_path / "voice.ogg")
    seen = {c.method: c for c in api.calls if c.method != "getMe"}
    return {"seen": seen, "downloaded": downloaded, "on_disk": Path(on_disk).read_bytes()}


@pytest.mark.parametrize("client", CLIENTS)
async def test_every_call_shape_reaches_the_server_as_the_library_means_it(api, tmp_path, client):
    async with bot_on(api, make_request(client, 4)) as bot:
        got = await every_call_shape(bot, api, tmp_path)
    seen = got["seen"]
    send = seen["sendMessage"]
    # The library's client sends form fields (reply_markup a JSON string in one); Matang's sends
    # one JSON document (reply_markup an object in it). The Bot API takes both alike.
    assert send.content_type == {"aiohttp": "application/json", "httpx": "application/x-www-form-urlencoded"}[client]
    assert send.params["text"] == "<b>Pertanyaan</b> satu" and send.params["chat_id"] == CHAT
    assert send.params["reply_markup"] == {"inline_keyboard": [[{"text": "Ya, lanjut", "callback_data": "c:y"}]]}
    assert seen["editMessageText"].params["text"] == "<i>Sudah dijawab</i> ✅"
    photo, document = seen["sendPhoto"], seen["sendDocument"]
    assert photo.content_type == document.content_type == "multipart/form-data"
    assert photo.params["caption"] == "Profil kematangan" and photo.params["chat_id"] == CHAT
    [photo_part] = photo.files.values()
    assert photo_part.data == TINY_PNG
    [doc_part] = document.files.values()
    assert doc_part.data == b"%PDF-1.4 laporan" and doc_part.filename == "laporan-matang.pdf"
    assert got["downloaded"] == got["on_disk"] == b"OggS\x00voice answer"
    assert all("python-telegram-bot" in c.headers.get("User-Agent", "") for c in seen.values())


async def test_both_clients_send_the_same_fields(tmp_path):
    """aiohttp is a drop-in for the library's client: the server cannot tell them apart by content."""
    shapes = {}
    for client in CLIENTS:
        (tmp_path / client).mkdir()
        async with FakeBotApi(token=TOKEN) as api, bot_on(api, make_request(client, 4)) as bot:
            seen = (await every_call_shape(bot, api, tmp_path / client))["seen"]
            shapes[client] = {m: (c.params, {k: (f.data, f.filename) for k, f in c.files.items()})
                              for m, c in seen.items()}
    assert set(shapes["aiohttp"]) == set(shapes["httpx"])
    for method in shapes["httpx"]:
        assert shapes["aiohttp"][method] == shapes["httpx"][method], method


async def test_a_slow_answer_raises_the_librarys_timed_out(api):
    api.delay("sendChatAction", 2.0)
    async with bot_on(api, AiohttpRequest(2, read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_chat_action(CHAT, "typing")
        assert (await bot.get_me()).username == api.bot_user["username"]  # the client still works


async def test_a_full_pool_times_out_rather_than_waiting_forever(api):
    api.delay("sendChatAction", 1.0)
    async with bot_on(api, AiohttpRequest(1, read_timeout=5, pool_timeout=0.1)) as bot:
        first = asyncio.create_task(bot.send_chat_action(CHAT, "typing"))
        await asyncio.sleep(0.2)  # the one connection is now busy with the first call
        with pytest.raises(TimedOut):
            await bot.get_me()
        await asyncio.gather(first, return_exceptions=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_refused_connection_raises_network_error_not_timed_out():
    base = f"http://127.0.0.1:{closed_port()}/bot"
    bot = Bot(TOKEN, base_url=base, request=AiohttpRequest(2), get_updates_request=AiohttpRequest(1))
    await bot.request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.get_me()
        assert not isinstance(raised.value, TimedOut)
        assert TOKEN not in str(raised.value)  # the message may be logged: no token in it
    finally:
        await bot.request.shutdown()


class Proxy:
    """A minimal HTTP proxy on 127.0.0.1: plain requests (absolute URLs) and CONNECT tunnels, both
    sent to ``upstream`` whatever host they name; it records every request line and header block."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.heads: list[str] = []
        self.server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> Proxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://proxy-user:s3cret@127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            self.heads.append(head)
            method, target, version = head.split("\r\n", 1)[0].split(" ")
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                # Origin form upstream; later requests on this connection go through as they come.
                parts = urlsplit(target)
                rest = head.split("\r\n", 1)[1]
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                up_writer.write(f"{method} {path} {version}\r\n{rest}".encode("latin-1"))
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()


async def test_every_call_goes_through_the_proxy_when_one_is_set(api, tmp_path):
    # The Bot API host does not exist: only the proxy, which knows where the server is, can reach it.
    async with Proxy(("127.0.0.1", api.port)) as proxy:
        conf = {"telegram_api_url": "http://bot-api.invalid/bot", "proxy_url": proxy.url}
        async with matang_bot(api, tmp_path / "m.db", **conf) as (app, _store):
            sari = api.user(1001)
            await sari.send("/start")
            reply = await sari.next_message()
            assert "Bapak/Ibu" in reply.text
    lines = [head.split("\r\n", 1)[0] for head in proxy.heads]
    assert any("bot-api.invalid" in line and "/getMe" in line for line in lines), lines
    assert all("Proxy-Authorization: Basic " in head for head in proxy.heads)


def test_a_socks_proxy_is_refused_by_aiohttp_with_a_clear_reason():
    with pytest.raises(ValueError, match="MATANG_HTTP_CLIENT=httpx"):
        make_request("aiohttp", 4, "socks5://127.0.0.1:1080")


def http_client(request):
    """The HTTP client under the bot's request wrappers (retries, webhook replies)."""
    while isinstance(request, WrappedRequest):
        request = request.inner
    return request


async def test_the_httpx_setting_keeps_the_librarys_client(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db", http_client="httpx") as (app, _store):
        assert isinstance(http_client(app.bot.request), HTTPXRequest)
        sari = api.user(1001)
        await sari.send("/start")
        assert "Bapak/Ibu" in (await sari.next_message()).text


async def test_the_default_client_is_aiohttp(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db") as (app, _store):
        assert isinstance(http_client(app.bot.request), AiohttpRequest)


def unclosed_reports(loop: asyncio.AbstractEventLoop) -> list[str]:
    """Start recording what the loop and warnings would report about unclosed sessions."""
    reports: list[str] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(str(context.get("message"))))
    return reports


async def test_a_stopped_bot_leaves_no_session_or_connection_open(api, tmp_path):
    loop = asyncio.get_running_loop()
    reports = unclosed_reports(loop)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with matang_bot(api, tmp_path / "m.db") as (app, _store):
            sari = api.user(1001)
            await sari.send("/start")
            await sari.next_message()
        gc.collect()
        await asyncio.sleep(0)
        clean = list(reports), [str(w.message) for w in caught if "nclosed" in str(w.message)]
        # The check can fail: a session left open is reported the same way.
        leaked = AiohttpRequest(1)
        await leaked.initialize()
        await leaked.do_request(f"{api.base_url}{TOKEN}/getMe", "POST")
        del leaked
        gc.collect()
        await asyncio.sleep(0)
    assert clean == ([], [])
    assert any("nclosed" in r for r in reports) or any("nclosed" in str(w.message) for w in caught)


def test_the_proxy_setting_is_checked_at_start():
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError, match="proxy"):
        Settings(proxy_url="proxy.example:3128", _env_file=None)
    assert Settings(proxy_url="  ", _env_file=None).proxy_url is None
    assert Settings(http_client="HTTPX", _env_file=None).http_client == "httpx"
    assert json.loads(Settings(_env_file=None).model_dump_json())["http_client"] == "aiohttp"


async def test_lean_results_keep_what_the_bot_reads_and_sent_message_id_reads_only_the_id(api, monkeypatch):
    """Edits answer True, a plain send keeps its id and text without its buttons, and a send
    through ``sent_message_id`` gives the server's id alone, while a send beside it (another
    task) still gets its message."""
    from bot.telegram.delivery import LeanResultsRequest, sent_message_id

    api.user(CHAT)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="a:1:2:0")]])
    async with bot_on(api, LeanResultsRequest(make_request("aiohttp", 4))) as bot:
        plain = await bot.send_message(CHAT, "satu", reply_markup=keyboard)
        edited = await bot.edit_message_text("satu ✅", chat_id=CHAT, message_id=plain.message_id)
        beside = asyncio.create_task(bot.send_message(CHAT, "tiga"))
        built = []
        de_json = Message.de_json
        monkeypatch.setattr(Message, "de_json", lambda data, bot=None: built.append(data) or de_json(data, bot))
        only_id = await sent_message_id(bot.send_message(CHAT, "dua", reply_markup=keyboard))
        other = await beside
    assert [d["text"] for d in built] == ["tiga"]  # the id alone was read of "dua"
    assert edited is True
    assert plain.text == "satu" and plain.reply_markup is None
    assert other.text == "tiga"
    sent = [c for c in api.calls if c.method == "sendMessage"]
    by_text = {c.params["text"]: c.result["message_id"] for c in sent}
    assert only_id == by_text["dua"] and plain.message_id == by_text["satu"] != only_id
    # What the person sees is untouched: the message still has its button.
    [shown] = [m for m in api.user(CHAT).messages if m.text == "dua"]
    assert [[b.data for b in row] for row in shown.buttons] == [["a:1:2:0"]]


@pytest.mark.parametrize("client", CLIENTS)
async def test_sent_message_id_works_on_a_request_that_builds_messages(api, client):
    from bot.telegram.delivery import sent_message_id

    api.user(CHAT)
    async with bot_on(api, make_request(client, 4)) as bot:
        message_id = await sent_message_id(bot.send_message(CHAT, "empat"))
    [call] = [c for c in api.calls if c.method == "sendMessage"]
    assert message_id == call.result["message_id"]
