"""``matang run``: the Telegram bot, with long polling or behind a reverse proxy with a webhook."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlparse

import click

from bot.commands.common import db_option, fail, open_store, resolve_flow, settings

SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@click.command()
@click.option("--webhook-url", metavar="URL", default=None,
              help="Public HTTPS URL Telegram posts updates to (webhook mode); without it, long polling.")
@click.option("--listen", default="127.0.0.1", show_default=True, metavar="ADDR",
              help="Address the webhook server listens on (the reverse proxy forwards to it).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Port the webhook server listens on.")
@click.option("--secret-token", metavar="S", envvar="MATANG_WEBHOOK_SECRET", default=None,
              help="Secret Telegram sends with every webhook update; others get 403 [env: MATANG_WEBHOOK_SECRET].")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
              help="Log lines as text or JSON for log collectors [default: $MATANG_LOG_FORMAT or text].")
@db_option
def run(webhook_url: str | None, listen: str, port: int, secret_token: str | None, log_format: str | None,
        db: Path | None) -> None:
    """Run the Telegram bot until Ctrl-C or SIGTERM.

    The token comes from MATANG_TELEGRAM_TOKEN and the Bot API from MATANG_TELEGRAM_API_URL.
    Every answer is committed before the bot replies, so stopping (or a crash) loses none.
    """
    conf = settings(db=db, log_format=log_format)
    try:
        token = conf.token()
    except ValueError as exc:
        fail(str(exc))
    if secret_token is not None and not SECRET.match(secret_token):
        fail("--secret-token: use 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
    if webhook_url is not None:
        if secret_token is None:
            # Without the secret anyone who finds the URL could post forged updates.
            fail("webhook mode needs --secret-token (or MATANG_WEBHOOK_SECRET) so forged updates are refused")
        parsed = urlparse(webhook_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            fail(f"--webhook-url {webhook_url!r}: give a full URL such as https://bot.example.org/matang")

    from telegram.error import InvalidToken, NetworkError

    from bot.logs import redact, setup_logging
    from bot.memory import fix_mmap_threshold, tune_garbage_collector
    from bot.telegram.app import build_application, run_polling, run_webhook

    setup_logging(conf, secrets=[token, secret_token])
    log = logging.getLogger("bot.telegram")
    fix_mmap_threshold()  # a bot runs for months: keep its heap from fragmenting (bot.memory)
    flow = resolve_flow(conf.flow)
    with open_store(conf.db) as store:
        application = build_application(conf, store, flow=flow, token=token)
        tune_garbage_collector()  # the collector's passes stay out of the answers' way (bot.memory)
        try:
            if webhook_url is None:
                log.info("Matang bot starting: long polling, database %s, flow %s %s", conf.db, flow.id, flow.version)
                run_polling(application, poll_timeout=10)
            else:
                log.info("Matang bot starting: webhook %s on %s:%s, database %s", webhook_url, listen, port, conf.db)
                run_webhook(
                    application, listen=listen, port=port, url_path=urlparse(webhook_url).path.strip("/"),
                    webhook_url=webhook_url, secret_token=secret_token,
                )
        except InvalidToken:
            fail("the Bot API refused MATANG_TELEGRAM_TOKEN (unauthorised); check the token from @BotFather", 1)
        except NetworkError as exc:
            fail(redact(f"cannot reach the Bot API at {conf.telegram_api_url}: {exc}", [token]), 1)
    log.info("Matang bot stopped")
