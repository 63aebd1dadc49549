"""Logging for operators: one line per event, the Telegram update id when known, no secrets.

Text lines read ``2025-05-01T08:30:00.123+00:00 INFO bot.telegram [update 4711] answer saved``;
``MATANG_LOG_FORMAT=json`` (or ``--log-format json``) writes one JSON object per line for log
collectors, with the keys ``time``, ``level``, ``logger``, ``message``, ``update_id`` and, when
there is one, ``exception``.

The bot token never reaches the output: every configured secret (the token, its secret half, its
URL-quoted form, a webhook secret token) and anything shaped like a bot token is replaced by
``[REDACTED]`` in the message, its arguments and tracebacks. httpx logs every request URL, and a
Bot API URL carries the token, so this matters even for lines Matang does not write itself.

Usage in the Telegram code::

    from bot.logs import setup_logging, update_context

    setup_logging(settings, secrets=[webhook_secret])   # once, at start (or configure_logging)
    ...
    # in the update processor's do_process_update, so every handler and the error handler
    # of this update log with its id (each update runs in its own task, so ids never mix):
    with update_context(getattr(update, "update_id", None)):
        await coroutine                                 # log.info("answer saved")
                                                        # -> "... [update 4711] answer saved"
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

REDACTED = "[REDACTED]"
# Anything that looks like a bot token (bot id, colon, the secret), even one we were not told of.
TOKEN_LIKE = re.compile(r"\b\d{3,15}:[A-Za-z0-9_-]{30,}")

_update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("matang_update_id", default=None)
_secrets: set[str] = set()
_HANDLER_MARK = "_matang_handler"


# -- the update id ---------------------------------------------------------------------------


def current_update_id() -> int | None:
    """The Telegram update id being handled in this task, or None."""
    return _update_id.get()


def set_update_id(update_id: int | None) -> contextvars.Token[int | None]:
    """Mark the current task as handling ``update_id``; pass the result to :func:`reset_update_id`."""
    return _update_id.set(update_id)


def reset_update_id(token: contextvars.Token[int | None]) -> None:
    """Undo :func:`set_update_id`."""
    _update_id.reset(token)


@contextmanager
def update_context(update_id: int | None) -> Iterator[None]:
    """Every log line written inside the block carries ``update_id``.

    >>> with update_context(4711):
    ...     current_update_id()
    4711
    """
    token = _update_id.set(update_id)
    try:
        yield
    finally:
        _update_id.reset(token)


class UpdateLoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger bound to one update id, for code that prefers an adapter to the context."""

    def __init__(self, logger: logging.Logger, update_id: int | None) -> None:
        super().__init__(logger, {"update_id": update_id})

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs.setdefault("extra", {}).setdefault("update_id", self.extra["update_id"])  # type: ignore[index]
        return msg, kwargs


# -- secrets ---------------------------------------------------------------------------------


def add_secret(value: str | None) -> None:
    """Never write ``value`` (nor, for a bot token, its secret half or URL-quoted form) to the logs."""
    if not value or len(value) < 6:
        return
    _secrets.add(value)
    _secrets.add(quote(value, safe=""))
    if ":" in value:
        _, secret = value.split(":", 1)
        if len(secret) >= 8:
            _secrets.add(secret)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret and anything token-shaped replaced by ``[REDACTED]``.

    Known secrets are those given to :func:`add_secret` or :func:`setup_logging`, and
    ``secrets``, which are remembered from then on.

    >>> add_secret("123456789:AAEexampleexampleexampleexample12345")
    >>> redact("POST https://api.telegram.org/bot123456789:AAEexampleexampleexampleexample12345/getMe")
    'POST https://api.telegram.org/bot[REDACTED]/getMe'
    """
    for extra in secrets:
        add_secret(extra)
    # Longest first, so a token is replaced whole before its secret half is looked for.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return TOKEN_LIKE.sub(REDACTED, text)


class RedactFilter(logging.Filter):
    """Rewrites a record so no secret is left in its message, arguments or traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can show
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class UpdateIdFilter(logging.Filter):
    """Adds ``record.update_id`` from the current context unless the call passed one in ``extra``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "update_id", None) is None:
            record.update_id = _update_id.get()
        return True


# -- formats ---------------------------------------------------------------------------------


def _iso(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER [update N] message``; a traceback stays on the same line, escaped."""

    def format(self, record: logging.LogRecord) -> str:
        update = getattr(record, "update_id", None)
        parts = [_iso(record), record.levelname, record.name]
        if update is not None:
            parts.append(f"[update {update}]")
        line = " ".join(parts) + " " + record.getMessage()
        extra = self._exception_text(record)
        if extra:
            line += " | " + extra
        # One event, one line: a collector or `grep` must never see half an event.
        return redact(line.replace("\r", "\\r").replace("\n", "\\n"))

    def _exception_text(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        text = record.exc_text or ""
        if record.stack_info:
            text = (text + "\n" if text else "") + record.stack_info
        return text


class JsonFormatter(TextFormatter):
    """One JSON object per line: time, level, logger, message, update_id (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _iso(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "update_id": getattr(record, "update_id", None),
        }
        extra = self._exception_text(record)
        if extra:
            entry["exception"] = extra
        return redact(json.dumps(entry, ensure_ascii=False))


# -- setup -----------------------------------------------------------------------------------

# Libraries that are chatty at INFO (httpx logs every request, each getUpdates poll included;
# transitions logs every event of every interview, about 1.5 ms an answer at 50 respondents).
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "aiohttp.access", "PIL", "transitions")


def setup_logging(settings: Any = None, *, fmt: str | None = None, level: str | int | None = None,
                  stream: TextIO | None = None, secrets: Iterable[str | None] = ()) -> logging.Handler:
    """Configure the root logger once for the whole process; returns the handler it installed.

    ``fmt`` ("text" or "json") and ``level`` override ``settings.log_format`` and
    ``settings.log_level``; the token in ``settings.telegram_token`` and every value in
    ``secrets`` (say, a webhook secret token) are redacted from all output. Calling it again
    replaces the previous Matang handler rather than adding a second one. Lines go to standard
    error (systemd's journal and ``docker logs`` collect it).
    """
    fmt = fmt or getattr(settings, "log_format", None) or "text"
    if fmt not in ("text", "json"):
        raise ValueError(f"unknown log format {fmt!r} (text or json)")
    level = level or getattr(settings, "log_level", None) or "INFO"
    token = getattr(settings, "telegram_token", None)
    if token is not None:
        add_secret(token.get_secret_value() if hasattr(token, "get_secret_value") else str(token))
    for secret in secrets:
        add_secret(secret)

    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(UpdateIdFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else str(level).upper())
    # At DEBUG the operator wants everything, request lines included (their token redacted).
    quiet = logging.WARNING if root.getEffectiveLevel() > logging.DEBUG else logging.NOTSET
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    logging.captureWarnings(True)
    return handler


def configure_logging(level: str | int = "INFO", fmt: str = "text", secrets: Iterable[str | None] = (),
                      stream: TextIO | None = None) -> logging.Handler:
    """:func:`setup_logging` without a settings object: ``configure_logging(conf.log_level,
    conf.log_format, secrets=[token, secret_token])``."""
    return setup_logging(None, fmt=fmt, level=level, stream=stream, secrets=secrets)
