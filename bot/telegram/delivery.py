"""Talking to the Bot API reliably: retries with back-off on network errors, quiet optional calls.

python-telegram-bot's ``Updater`` already retries ``getUpdates``; every other call goes through
:class:`RetryingRequest`, which repeats a request whose connection failed or timed out, or that
a proxy answered with a 5xx, after 0.5, 1, 2 and 4 seconds by default. Flood limits (429) are left
to the rate limiter, which pauses every request for the time Telegram asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger("bot.telegram")
T = TypeVar("T")

DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
RETRY_STATUSES = frozenset({500, 502, 503, 504})


def endpoint(url: str) -> str:
    """The Bot API method of a request URL (the URL itself carries the token: never log it)."""
    return url.rsplit("/", 1)[-1]


class RetryingRequest(HTTPXRequest):
    """An HTTPX request that retries transport failures and 5xx answers with back-off.

    A request whose answer was lost may have taken effect; repeating it can send a message twice,
    which a respondent shrugs off, while a lost question would stall the interview.
    """

    def __init__(self, *args: Any, retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_delays = tuple(retry_delays)

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`; retried as the class says."""
        for attempt, delay in enumerate((*self.retry_delays, None), 1):
            try:
                code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except (TimedOut, NetworkError) as exc:
                if delay is None:
                    raise
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if code not in RETRY_STATUSES or delay is None:
                    return code, payload
                reason = f"HTTP {code}"
            wait = delay * random.uniform(0.8, 1.2)
            log.warning("Bot API %s failed (%s); retry %d in %.1f s", endpoint(url), reason, attempt, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


class ReadableUpdatesRequest(HTTPXRequest):
    """The ``getUpdates`` request, with every update python-telegram-bot cannot read made harmless.

    python-telegram-bot reads a whole batch of updates at once. One update it cannot read (a field
    of a type it does not expect: a Bot API newer than the library, or a broken local server) fails
    the whole batch, which is then never confirmed: the server hands the same batch out again at
    once, forever, and no respondent gets an answer again (found by the hardening fuzz tests, see
    ``tests/test_hardening_input.py``). Here such an update is replaced by its bare id, so the batch
    is read and confirmed and the update matches no handler; an update without a numeric id cannot
    be confirmed at all and is left out. Only ids are logged: contents may be personal.
    """

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`; unreadable updates as the class says."""
        code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        if code != 200 or endpoint(url) != "getUpdates":
            return code, payload
        try:
            body = json.loads(payload)
        except ValueError:  # not JSON at all: python-telegram-bot reports it as a network error
            return code, payload
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list) or not result:
            return code, payload
        probes = json.loads(payload)["result"]  # de_json may keep references into what it reads
        readable, changed = [], False
        for item, probe in zip(result, probes, strict=True):
            update_id, update = read_update(probe, None, "getUpdates")
            if update is None:
                changed = True
                if update_id is None:
                    continue  # cannot be confirmed: left out
                item = {"update_id": update_id}
            readable.append(item)
        if not changed:
            return code, payload
        body["result"] = readable
        return code, json.dumps(body).encode()


def read_update(data: Any, bot: Any, where: str) -> tuple[int | None, Update | None]:
    """An update as Telegram sends it (JSON), read: ``(id, update)``; ``(id, None)`` when
    python-telegram-bot cannot read it, ``(None, None)`` without a numeric id. Polling and the
    webhook both skip such updates; only ids are logged, as contents may be personal."""
    update_id = numeric_update_id(data)
    if update_id is None:
        log.warning("%s: skipped an update without a numeric update_id", where)
        return None, None
    try:
        return update_id, Update.de_json(data, bot)
    except Exception as exc:
        log.warning("%s: update %s cannot be read (%s); skipped", where, update_id, type(exc).__name__)
        return update_id, None


def numeric_update_id(item: Any) -> int | None:
    """The ``update_id`` of an update as Telegram sends it (JSON), if it is a number at all.

    >>> numeric_update_id({"update_id": 7}), numeric_update_id({"update_id": "7"}), numeric_update_id([7])
    (7, None, None)
    """
    update_id = item.get("update_id") if isinstance(item, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return update_id


async def quietly(call: Awaitable[T], what: str = "optional call") -> T | None:
    """Await an optional Bot API call (an edit, a callback answer); log and swallow its failure.

    "message is not modified" and "query is too old" are expected after a retry or a restart.
    """
    try:
        return await call
    except BadRequest as exc:
        text = str(exc).lower()
        level = logging.DEBUG if ("not modified" in text or "query is too old" in text) else logging.INFO
        log.log(level, "%s refused: %s", what, exc)
    except TelegramError as exc:
        log.info("%s failed: %s", what, exc)
    return None
