"""Talking to the Bot API reliably: retries with back-off on network errors, quiet optional calls.

python-telegram-bot's ``Updater`` already retries ``getUpdates``; every other call goes through
:class:`RetryingRequest` (around the HTTP client of :mod:`bot.telegram.transport`), which repeats a request whose connection failed or timed out, or that
a proxy answered with a 5xx, after 0.5, 1, 2 and 4 seconds by default. Flood limits (429) are left
to the rate limiter, which pauses every request for the time Telegram asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger("bot.telegram")
T = TypeVar("T")

DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
RETRY_STATUSES = frozenset({500, 502, 503, 504})


def endpoint(url: str) -> str:
    """The Bot API method of a request URL (the URL itself carries the token: never log it)."""
    return url.rsplit("/", 1)[-1]


class WrappedRequest(BaseRequest):
    """A request that adds behaviour around another one (the HTTP client, see
    :mod:`bot.telegram.transport`), whichever client that is."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        """The wrapped client's default read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Set up the wrapped client."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the wrapped client."""
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`: the wrapped client's answer."""
        return await self.inner.do_request(url, method, request_data, *args, **kwargs)


class RetryingRequest(WrappedRequest):
    """A request that retries transport failures and 5xx answers with back-off.

    A request whose answer was lost may have taken effect; repeating it can send a message twice,
    which a respondent shrugs off, while a lost question would stall the interview.
    """

    def __init__(self, inner: BaseRequest, retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS) -> None:
        super().__init__(inner)
        self.retry_delays = tuple(retry_delays)

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`; retried as the class says."""
        for attempt, delay in enumerate((*self.retry_delays, None), 1):
            try:
                code, payload = await self.inner.do_request(url, method, request_data, *args, **kwargs)
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


class WebhookReplies:
    """Callback answers waiting to go out inside the HTTP reply to their webhook delivery.

    The Bot API lets a webhook's reply carry one method call. Every button press needs an
    ``answerCallbackQuery``; sent in the reply, it costs no request of its own. The webhook
    endpoint expects one for each press (:meth:`expect`) and waits briefly; :class:`WebhookReplyRequest`
    hands it over instead of sending it. When the endpoint stopped waiting, the call is sent as usual.
    """

    def __init__(self) -> None:
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def expect(self, callback_query_id: str) -> asyncio.Future[dict[str, Any]]:
        """A future the answer's parameters will be set on."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[callback_query_id] = future
        return future

    def give_up(self, callback_query_id: str) -> None:
        """The webhook reply went out without the answer: it must now be sent as a request."""
        self.pending.pop(callback_query_id, None)

    def take(self, callback_query_id: Any, parameters: dict[str, Any]) -> bool:
        """Hand an answer to the waiting webhook reply; False when none is waiting for it."""
        future = self.pending.pop(str(callback_query_id), None)
        if future is None or future.done():
            return False
        future.set_result({"method": "answerCallbackQuery", **parameters})
        return True


ANSWERED = b'{"ok":true,"result":true}'


class WebhookReplyRequest(WrappedRequest):
    """Sends an ``answerCallbackQuery`` in the webhook reply its press is waiting for (see
    :class:`WebhookReplies`); every other call, and every answer nobody waits for, as usual."""

    def __init__(self, inner: BaseRequest, replies: WebhookReplies) -> None:
        super().__init__(inner)
        self.replies = replies

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        if self.replies.pending and request_data is not None and endpoint(url) == "answerCallbackQuery":
            parameters = request_data.parameters
            if self.replies.take(parameters.get("callback_query_id"), parameters):
                return 200, ANSWERED  # what Telegram would answer; the reply carries the call
        return await self.inner.do_request(url, method, request_data, *args, **kwargs)


EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
"""Edits whose answer (the whole edited message) the bot never reads."""
ECHOED = ("reply_markup", "entities", "link_preview_options")
"""What Telegram echoes back of a message just sent and the bot never reads again."""


_SENT_IDS: ContextVar[list[int] | None] = ContextVar("matang_sent_ids", default=None)


async def sent_message_id(send: Awaitable[Any]) -> int:
    """Await a ``sendMessage`` call (``bot.send_message(...)``) and give the id of the message sent.

    A question's sender needs only that id, and the library builds a whole ``Message`` of the
    answer (some 50 µs, on every answer). Under :class:`LeanResultsRequest` the id is read from
    the answer's JSON and the message is not built; under any other request it is built as usual.
    """
    box: list[int] = []
    # The call runs in this task, so the request sees the box; tasks started before or beside
    # it have contexts of their own and do not.
    token = _SENT_IDS.set(box)
    try:
        result = await send
    finally:
        _SENT_IDS.reset(token)
    return box[-1] if box else result.message_id


class LeanResultsRequest(WrappedRequest):
    """Answers of sends and edits with only what the bot reads of them.

    Telegram answers an edit or a send with the whole message: its text, its formatting and
    every button again. python-telegram-bot builds objects of all of it (a message has some 150
    attributes), which was the largest single cost of an answer after the HTTP client (issue 17's
    profile at 10 respondents: 0.8 of 5.4 ms). Nothing in Matang reads an edit's answer, so an
    edit answers ``True``, as Telegram itself does for inline messages (the library's methods are
    typed ``Message | bool`` for that reason). A send made through :func:`sent_message_id` hands
    over its message's id and answers ``True`` too; of any other sent message only its buttons,
    formatting and link preview are left out: its id, chat, date and text stay.
    """

    async def post(self, url: str, request_data: RequestData | None = None, *args: Any,
                   **kwargs: Any) -> Any:
        """See :meth:`telegram.request.BaseRequest.post`; trimmed as the class says."""
        result = await super().post(url, request_data, *args, **kwargs)
        if isinstance(result, dict):
            method = endpoint(url)
            if method in EDITS:
                return True
            if method == "sendMessage":
                box = _SENT_IDS.get()
                message_id = result.get("message_id")
                if box is not None and isinstance(message_id, int):
                    box.append(message_id)
                    return True
                for key in ECHOED:
                    result.pop(key, None)
        return result


class ReadableUpdatesRequest(WrappedRequest):
    """The ``getUpdates`` request, with every update python-telegram-bot cannot read made harmless.

    python-telegram-bot reads a whole batch of updates at once. One update it cannot read (a field
    of a type it does not expect: a Bot API newer than the library, or a broken local server) fails
    the whole batch, which is then never confirmed: the server hands the same batch out again at
    once, forever, and no respondent gets an answer again (found by the hardening fuzz tests, see
    ``tests/test_hardening_input.py``). Here such an update is replaced by its bare id, so the batch
    is read and confirmed and the update matches no handler; an update without a numeric id cannot
    be confirmed at all and is left out. Only ids are logged: contents may be personal.

    Reading every update twice (once here, once by the library) cost about a millisecond an answer,
    so a batch is first left to the library alone, its JSON parsed once (here, through the public
    ``parse_json_payload``). Only when the library failed it (the next ``getUpdates`` asks again
    from the same offset after a batch with updates), or when an update's id is not a number (the
    library reads it, then its polling loop breaks on it), is the batch read update by update.
    A pressed button's message comes with its id and chat only (:data:`PRESSED_UNREAD`): no handler
    reads the rest (building its buttons alone was a tenth of the cost of reading a press).
    """

    def __init__(self, inner: BaseRequest) -> None:
        super().__init__(inner)
        self._last_offset: object = None
        self._last_had_updates = False
        self._careful = False

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`; batches read as the class says."""
        if endpoint(url) == "getUpdates":
            offset = request_data.parameters.get("offset") if request_data is not None else None
            # Asked again from where the last batch began: the library could not read that batch.
            self._careful = self._last_had_updates and offset == self._last_offset
            self._last_offset, self._last_had_updates = offset, False
        else:
            self._careful = False
        return await self.inner.do_request(url, method, request_data, *args, **kwargs)

    def parse_json_payload(self, payload: bytes) -> Any:  # type: ignore[override]
        """The answer's JSON, parsed once; in a batch the library failed, unreadable updates
        replaced by their ids (see the class)."""
        body = BaseRequest.parse_json_payload(payload)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list) or not result:
            return body
        self._last_had_updates = True
        for item in result:
            _lean_pressed_message(item)
        # An id that is not a number is read by the library without complaint, then breaks its
        # polling loop (it adds 1 to the last id): such a batch is read carefully at once.
        if not self._careful and all(numeric_update_id(item) is not None for item in result):
            return body
        readable = []
        for item in result:
            # de_json may keep references into what it reads: probe a copy.
            update_id, update = read_update(json.loads(json.dumps(item)), None, "getUpdates")
            if update is None:
                if update_id is None:
                    continue  # cannot be confirmed: left out
                item = {"update_id": update_id}
            readable.append(item)
        body["result"] = readable
        return body


PRESSED_UNREAD = (*ECHOED, "from", "text", "caption", "caption_entities")
"""What a button press carries of its message and no handler reads: its sender (the bot itself),
its text and formatting, its buttons. Handlers read the message's id and chat."""


def _lean_pressed_message(item: Any) -> None:
    """Leave out :data:`PRESSED_UNREAD` of a button press's message (see :class:`LeanResultsRequest`)."""
    query = item.get("callback_query") if isinstance(item, dict) else None
    message = query.get("message") if isinstance(query, dict) else None
    if isinstance(message, dict):
        for key in PRESSED_UNREAD:
            message.pop(key, None)


class UnreadableBatchLog(logging.Filter):
    """Keeps the library's own lines about a batch it could not read, without what it read.

    python-telegram-bot logs the whole batch (names, message texts) and a traceback that may quote
    a value of an update; contents may be personal, so these lines keep the exception's type only.
    The batch is then read update by update (:class:`ReadableUpdatesRequest`), which logs ids.
    """

    MARKERS = ("Error while parsing updates", "data received from Telegram")

    def filter(self, record: logging.LogRecord) -> bool:
        """Strip the data and traceback of those lines; let every other line through unchanged."""
        text = str(record.msg)
        if any(marker in text for marker in self.MARKERS):
            exc = record.exc_info[1] if record.exc_info else None
            what = f"{type(exc).__name__}; " if exc is not None else ""
            record.msg = f"python-telegram-bot could not read a batch of updates ({what}contents not logged); " \
                         "it is read again, update by update"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


UNREADABLE_BATCH_LOGGERS = ("telegram.ext.ExtBot", "telegram.Bot", "telegram.ext.Updater")


def quiet_unreadable_batches() -> None:
    """Install :class:`UnreadableBatchLog` on the library's loggers that report such a batch (once)."""
    for name in UNREADABLE_BATCH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, UnreadableBatchLog) for f in logger.filters):
            logger.addFilter(UnreadableBatchLog())


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
