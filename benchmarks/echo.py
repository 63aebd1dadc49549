"""A bare python-telegram-bot echo bot: the floor every bot benchmark is measured against."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def build_echo_application(
    base_url: str, token: str, concurrent_updates: bool | int = False, transport: str | None = None
) -> Application:
    """A PTB `Application` against `base_url` whose one handler echoes every text message.

    `concurrent_updates` is passed to the builder (PTB's default is False: one at a time).
    `transport`: None for the library's own HTTP client, or a client of
    :func:`bot.telegram.transport.make_request` ("aiohttp", "httpx") with Matang's pool sizes.
    """
    builder = ApplicationBuilder().token(token).base_url(base_url).concurrent_updates(concurrent_updates)
    if transport is not None:
        from bot.telegram.transport import make_request

        builder = builder.request(make_request(transport, 32)).get_updates_request(make_request(transport, 2))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


@asynccontextmanager
async def polling(app: Application, timeout: int = 10) -> AsyncIterator[Application]:
    """Run `app` with long polling inside the current event loop for the `async with` body.

    async with polling(build_echo_application(api.base_url, api.token)):
        ...
    """
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=timeout)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def main() -> None:
    """Run the echo bot (long polling) against $MATANG_TELEGRAM_API_URL with
    $MATANG_TELEGRAM_TOKEN until SIGINT/SIGTERM: `python -m benchmarks.echo`."""
    app = build_echo_application(
        os.environ["MATANG_TELEGRAM_API_URL"], os.environ["MATANG_TELEGRAM_TOKEN"]
    )
    app.run_polling(poll_interval=0)


if __name__ == "__main__":
    main()
