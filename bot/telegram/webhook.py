"""Webhook mode: the HTTP endpoint Telegram POSTs each update to, served with tornado.

python-telegram-bot's own endpoint answers 400 to an update it cannot read, and logs the whole
update (names, message texts) at CRITICAL level. Telegram then delivers that update again and
again, and its retries hold back the updates behind it. This endpoint does what long polling does
with such an update (see :class:`bot.telegram.delivery.ReadableUpdatesRequest`): it logs the
update's id only, processes nothing, and answers 200 so Telegram moves on. Everything else is as
python-telegram-bot does it: POST only, JSON only, 403 without the secret token, and each update
put on the application's update queue. One more: a button press is answered (``answerCallbackQuery``)
inside the HTTP reply, as the Bot API allows, which saves a request per press
(:class:`bot.telegram.delivery.WebhookReplies`).

Started with python-telegram-bot's public API only (``bot.set_webhook``,
``application.update_queue``), the documented way to serve a webhook of one's own.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application, ExtBot
from tornado.httpserver import HTTPServer

from bot.telegram.context import KEY
from bot.telegram.delivery import read_update

log = logging.getLogger("bot.telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REPLY_WAIT = 1.0
"""Seconds a press's webhook reply waits for its ``answerCallbackQuery`` (taken within
milliseconds unless the chat's previous update is still being handled)."""
MAX_BODY = 1024 * 1024
"""The largest request body read (1 MiB); a larger one is refused before it is read whole."""


class UpdateEndpoint(tornado.web.RequestHandler):
    """POST /<path>: one update from Telegram, checked, read, and queued for the application."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, telegram_app: Application, secret_token: str | None) -> None:
        """Tornado's per-request set-up: what every request needs."""
        self.telegram_app = telegram_app
        self.secret_token = secret_token

    async def post(self) -> None:
        """Refuse a request without the secret (403); queue a readable update; 200 otherwise,
        with the press's ``answerCallbackQuery`` in the reply when the bot gives it in time."""
        media_type = (self.request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/json" or not self._has_secret():
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        update = self._read()
        self.set_status(HTTPStatus.OK)
        if update is None:
            return
        bot = self.telegram_app.bot
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        query = update.callback_query
        replies = getattr(self.telegram_app.bot_data.get(KEY), "webhook_replies", None)
        answer = replies.expect(query.id) if query is not None and replies is not None else None
        await self.telegram_app.update_queue.put(update)
        if answer is None:
            return
        try:
            # shield: a timeout must not cancel the future the bot may still be about to set.
            call = await asyncio.wait_for(asyncio.shield(answer), REPLY_WAIT)
        except TimeoutError:
            replies.give_up(query.id)  # the bot sends it as a request of its own
            return
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(call))

    def _has_secret(self) -> bool:
        if self.secret_token is None:
            return True
        given = self.request.headers.get(SECRET_HEADER) or ""
        # Compared in constant time: the time to refuse must not tell how much of a guess was right.
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    def _read(self) -> Update | None:
        """The update in the request, or None (logged by id, never by content) when unreadable."""
        try:
            data = json.loads(self.request.body)
        except ValueError:  # not JSON, or not UTF-8: nothing Telegram would send
            log.warning("webhook: a request that is not a JSON update was skipped")
            return None
        # Unreadable, it is answered 200 all the same: Telegram would otherwise send it again, forever.
        return read_update(data, self.telegram_app.bot, "webhook")[1]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """403s are expected from scanners; only unexpected failures are worth a log line."""
        if not isinstance(value, tornado.web.HTTPError):
            log.error("webhook: request failed: %s", type(value).__name__, exc_info=(typ, value, tb))


class _Routes(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: the bot logs what it does with each update."""


class WebhookServer:
    """The listening webhook endpoint; :meth:`stop` closes it."""

    def __init__(self, application: Application, *, listen: str, port: int, url_path: str,
                 secret_token: str | None) -> None:
        path = "/" + url_path.strip("/")
        routes = _Routes([(rf"{path.rstrip('/')}/?", UpdateEndpoint,
                           {"telegram_app": application, "secret_token": secret_token})])
        # An update is a few KB (a message is at most 4,096 characters); tornado's default would
        # read 100 MB from anyone before the secret is checked.
        self._http = HTTPServer(routes, max_body_size=MAX_BODY)
        self.listen, self.port = listen, port

    def start(self) -> None:
        """Listen on ``listen:port`` (in the running event loop)."""
        self._http.listen(self.port, address=self.listen)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        self._http.stop()
        await self._http.close_all_connections()


async def start_webhook(application: Application, *, listen: str, port: int, url_path: str, webhook_url: str,
                        secret_token: str | None = None, max_connections: int = 40,
                        allowed_updates: Sequence[str] | None = None,
                        drop_pending_updates: bool | None = None) -> WebhookServer:
    """Listen for updates, then ask Telegram to send them there; returns the running server.

    The keywords are those of python-telegram-bot's ``Updater.start_webhook``. The server listens
    before ``setWebhook``, so the first update Telegram sends finds it ready.
    """
    server = WebhookServer(application, listen=listen, port=port, url_path=url_path, secret_token=secret_token)
    server.start()
    try:
        await application.bot.set_webhook(url=webhook_url, secret_token=secret_token, max_connections=max_connections,
                                          allowed_updates=allowed_updates, drop_pending_updates=drop_pending_updates)
    except BaseException:
        await server.stop()
        raise
    return server
