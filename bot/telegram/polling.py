"""Long polling: one ``getUpdates`` after another, each asked the moment the last one answered.

python-telegram-bot's ``Updater`` does the same job, but each turn of its loop starts two new
tasks (the call and a wait for its stop event) and waits for either: the next ``getUpdates``
goes out only after two or three further passes of the event loop. Each pass lasts as long as
the handlers' work ready in it, so with ten or fifty people answering, an update waited 22–36 ms
(p50) for the poll that fetches it, against 11–18 ms for a bare echo bot (issue 17, measured at
the fake Bot API). Here the loop is one task: the fetched updates are queued without waiting and
the next poll is written to its connection in the same step. Stopping cancels the waiting poll
(its updates, if any, are fetched again after a restart: nothing was confirmed) and, as the
``Updater`` does, confirms what was fetched with one last short call.

Errors are treated as the library treats them: a timed-out poll is asked again at once; a flood
limit waits the time Telegram asks; an invalid token stops polling and is raised to the caller;
any other Bot API or network failure is logged and retried after 1 s, growing by half up to
30 s. An update python-telegram-bot cannot read is handled by
:class:`bot.telegram.delivery.ReadableUpdatesRequest` under the ``getUpdates`` call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger("bot.telegram")

FIRST_RETRY_S = 1.0
MAX_RETRY_S = 30.0
RETRY_AFTER_SLACK_S = 0.5


class LongPoll:
    """Fetches updates for an ``Application``'s update queue until stopped.

    ``start()`` deletes any webhook (Telegram refuses ``getUpdates`` while one is set) and starts
    the loop; ``stop()`` ends it; ``done`` is the loop's task, which ends with
    :class:`telegram.error.InvalidToken` if Telegram stops accepting the token.
    """

    def __init__(self, bot: Bot, queue: asyncio.Queue[object], *, timeout: int = 10,
                 allowed_updates: Sequence[str] | None = None) -> None:
        self.bot = bot
        self.queue = queue
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.offset: int | None = None
        self.fetched = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the loop runs."""
        return self._task is not None and not self._task.done()

    @property
    def done(self) -> asyncio.Task[None]:
        """The loop's task (await it to learn why polling ended)."""
        if self._task is None:
            raise RuntimeError("LongPoll.start() was not called")
        return self._task

    async def start(self) -> None:
        """Delete any webhook, then start polling in a task of its own."""
        if self.running:
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="matang: long polling")

    async def stop(self) -> None:
        """Stop polling and confirm the fetched updates (they are queued already)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await task
        if self.offset is not None:
            try:
                await self.bot.get_updates(offset=self.offset, limit=1, timeout=0,
                                           allowed_updates=self.allowed_updates)
            except TelegramError as exc:
                # Not fatal: the next start fetches them again, and recovery skips what was handled.
                log.warning("could not confirm the last fetched updates (%s)", exc)

    async def _loop(self) -> None:
        failures = 0
        while True:
            wait = 0.0
            try:
                updates = await self.bot.get_updates(offset=self.offset, timeout=self.timeout,
                                                     allowed_updates=self.allowed_updates)
            except InvalidToken:
                log.error("long polling stopped: the Bot API refused the token")
                raise
            except RetryAfter as exc:
                wait = _seconds(exc) + RETRY_AFTER_SLACK_S
                log.warning("long polling: flood limit, waiting %.1f s", wait)
            except TimedOut:
                pass  # a long poll that timed out is simply asked again
            except TelegramError as exc:
                failures += 1
                wait = _backoff(failures)
                log.warning("long polling failed (%s: %s); again in %.1f s", type(exc).__name__, exc, wait)
            except Exception:
                # A batch python-telegram-bot could not read: asked again at once from the same
                # offset, ReadableUpdatesRequest reads it update by update; if even that fails,
                # the next tries back off.
                failures += 1
                wait = _backoff(failures - 1) if failures > 1 else 0.0
                log.exception("long polling: a batch of updates could not be read; asked again")
            else:
                failures = 0
                for update in updates:
                    self.queue.put_nowait(update)
                if updates:
                    self.offset = updates[-1].update_id + 1
                    self.fetched += len(updates)
                continue  # at once, in this same step of the loop: the point of this class
            if wait:
                await asyncio.sleep(wait)


def _backoff(failures: int) -> float:
    """1 s after the first failure in a row, then half as long again each time, at most 30 s."""
    return min(MAX_RETRY_S, FIRST_RETRY_S * 1.5 ** max(0, failures - 1))


def _seconds(exc: RetryAfter) -> float:
    """The wait a flood limit asks for, in seconds.

    ``RetryAfter.retry_after`` is an int now and a ``timedelta`` in a coming release; reading it
    warns of that change, which this handles either way.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
