"""The Telegram application: the wiring table, start-up and shut-down.

``build_application(settings, store)`` returns a python-telegram-bot ``Application``;
:func:`run_polling` serves it with long polling (:mod:`bot.telegram.polling`, not the library's
``Updater``), :func:`run_webhook` on a webhook; ``running(application)`` runs one inside an
existing event loop (tests and benchmarks).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.interviews import Interviews
from bot.logs import update_context
from bot.settings import Settings
from bot.store import Store
from bot.telegram import buttons, chat_commands, errors, messages, recovery, voice
from bot.telegram.context import KEY, BotContext
from bot.telegram.delivery import (
    DEFAULT_RETRY_DELAYS,
    LeanResultsRequest,
    ReadableUpdatesRequest,
    RetryingRequest,
    WebhookReplyRequest,
    quiet_unreadable_batches,
)
from bot.telegram.polling import LongPoll
from bot.telegram.reminders import start_sweeps, stop_sweeps
from bot.telegram.webhook import start_webhook
from bot.texts import t
from interview_flows.loader import load_named_flow
from interview_flows.schema import Flow
from scoring.criteria import criterion_ids

log = logging.getLogger("bot.telegram")

PRE_GROUP = -100
"""Redelivered updates are caught here, before any handler (researcher ones included)."""
MAIN_GROUP = 0
MENU = ("start", "help", "language", "back", "skip", "review", "pause", "resume", "result", "restart",
        "delete", "cancel")
COMMANDS: dict[str, Callable[..., Awaitable[None]]] = {
    "start": chat_commands.start,
    "help": chat_commands.help_command,
    "bantuan": chat_commands.help_command,
    "language": chat_commands.language,
    "bahasa": chat_commands.language,
    "back": chat_commands.back,
    "skip": chat_commands.skip,
    "review": chat_commands.review,
    "pause": chat_commands.pause,
    "resume": chat_commands.resume_command,
    "result": chat_commands.result,
    "restart": chat_commands.restart,
    "delete": chat_commands.delete,
    "cancel": chat_commands.cancel,
}


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat run one at a time, in order.

    One person's taps and messages must apply in the order they were sent, while a hundred people
    answering at once should not wait for each other's replies.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers once earlier updates of the same chat are done."""
        key = _chat_key(update)
        update_id = getattr(update, "update_id", None)
        if key is None:
            with update_context(update_id):
                await coroutine
            return
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                # Every line logged while handling this update (error handler included) names it.
                with update_context(update_id):
                    await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        for who in (update.effective_chat, update.effective_user):
            # Only a number: a malformed update may carry any JSON as an id (a list is not even
            # hashable, and failing here would drop the update unprocessed).
            if who is not None and isinstance(who.id, int):
                return who.id
    return None


def build_application(settings: Settings, store: Store, *, flow: Flow | None = None, token: str | None = None,
                      rate_limit: bool = True, retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
                      concurrency: int = 64, sweep_seconds: float = 60.0,
                      chart: Callable[[Any, str], bytes] | None = None) -> Application:
    """The bot, wired: every handler, the error handler, rate limiting, retries, reminders.

    ``token`` defaults to ``settings.token()`` and the Bot API URL to ``settings.telegram_api_url``.
    ``rate_limit=False`` drops Telegram's flood limits (benchmarks against a local server only).
    Bot API calls go through ``settings.http_client`` (aiohttp unless ``httpx``) and
    ``settings.proxy_url``.
    """
    from bot.telegram.transport import make_request  # aiohttp is imported only by a running bot

    token = token or settings.token()
    context = BotContext(
        settings=settings, store=store, interviews=Interviews(store),
        flow=flow or load_named_flow(settings.flow, criterion_ids()),
        reminder_hours=settings.reminder_hours, sweep_seconds=sweep_seconds, chart=chart,
    )
    base = settings.telegram_api_url
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base)
        .base_file_url(base.replace("/bot", "/file/bot", 1) if base.endswith("/bot") else base)
        .request(LeanResultsRequest(WebhookReplyRequest(
            RetryingRequest(make_request(settings.http_client, 32, settings.proxy_url), retry_delays),
            context.webhook_replies)))
        # An update python-telegram-bot cannot read must not stall every later one (see the class).
        .get_updates_request(ReadableUpdatesRequest(make_request(settings.http_client, 2, settings.proxy_url)))
        .concurrent_updates(PerChatUpdateProcessor(concurrency))
        # Long polling is bot.telegram.polling's (it asks for the next batch sooner).
        .updater(None)
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    quiet_unreadable_batches()
    application.bot_data[KEY] = context
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    """The wiring table: which update goes to which handler."""
    private = filters.ChatType.PRIVATE
    chat_commands.MY_GROUPS.update({PRE_GROUP, MAIN_GROUP})
    application.add_handler(TypeHandler(Update, recovery.skip_seen_update), group=PRE_GROUP)
    add = application.add_handler
    add(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, messages.edited_message), group=MAIN_GROUP)
    for name, callback in COMMANDS.items():
        add(CommandHandler(name, callback, filters=private & filters.UpdateType.MESSAGE), group=MAIN_GROUP)
    add(CallbackQueryHandler(buttons.button), group=MAIN_GROUP)
    add(MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, messages.text_message),
        group=MAIN_GROUP)
    if _add_research_handlers(application):
        application.bot_data[KEY].extra["menu_extra"] = ("myreport",)
    add(MessageHandler(private & filters.UpdateType.MESSAGE & filters.COMMAND, chat_commands.unknown_command), group=MAIN_GROUP)
    add(MessageHandler(private & filters.UpdateType.MESSAGE & filters.VOICE, voice.voice_message), group=MAIN_GROUP)
    add(MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                       messages.other_message), group=MAIN_GROUP)
    application.add_error_handler(errors.on_error)


def _add_research_handlers(application: Application) -> bool:
    """Researcher commands (``bot.telegram.research``), when installed; True if added."""
    try:
        research = importlib.import_module("bot.telegram.research")
    except Exception as exc:
        if not (isinstance(exc, ModuleNotFoundError) and exc.name == "bot.telegram.research"):
            # Installed but broken: say so; the interview itself carries on without them.
            log.exception("researcher commands unavailable: bot.telegram.research cannot be imported")
        return False
    research.add_handlers(application)
    return hasattr(research, "my_report_command")


def command_menu(lang: str, extra: Sequence[str] = ()) -> list[BotCommand]:
    """The command menu in one language (``extra``: further commands with a ``tg_cmd_`` text)."""
    return [BotCommand(name, t(f"tg_cmd_{name}", lang)) for name in (*MENU, *extra)]


async def register_commands(application: Application) -> bool:
    """Register the command menu (Indonesian by default, English for English clients).

    Optional: a failure is logged as a warning and the bot carries on.
    """
    extra = application.bot_data[KEY].extra.get("menu_extra", ())
    try:
        await application.bot.set_my_commands(command_menu("id", extra))
        await application.bot.set_my_commands(command_menu("id", extra), language_code="id")
        await application.bot.set_my_commands(command_menu("en", extra), language_code="en")
    except TelegramError as exc:
        log.warning("could not register the command menu (%s); carrying on without it", exc)
        return False
    return True


async def _post_init(application: Application) -> None:
    context: BotContext = application.bot_data[KEY]
    context.charts.start()  # the worker imports Pillow and draws its first charts while the bot starts
    await register_commands(application)
    await recovery.send_unsent_questions(context, application.bot)
    await recovery.send_unsent_results(context, application.bot)
    context.extra["sweeps"] = start_sweeps(context, application.bot)


async def _post_stop(application: Application) -> None:
    context: BotContext = application.bot_data[KEY]
    await stop_sweeps(context.extra.pop("sweeps", None))
    await context.finish_background()
    await context.charts.close()


@asynccontextmanager
async def running(application: Application, *, webhook: dict[str, Any] | None = None,
                  poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Run the bot inside the current event loop for the ``async with`` body: long polling
    (:class:`bot.telegram.polling.LongPoll`, kept in the context's ``extra["long_poll"]``), or,
    with ``webhook`` (the keyword arguments of :func:`bot.telegram.webhook.start_webhook`), on a
    webhook."""
    await application.initialize()
    await _post_init(application)
    server = None
    poll = None
    if webhook is None:
        poll = LongPoll(application.bot, application.update_queue, timeout=poll_timeout)
        application.bot_data[KEY].extra["long_poll"] = poll
        await poll.start()
    else:
        # Our own endpoint, not Updater.start_webhook: see bot.telegram.webhook for why.
        server = await start_webhook(application, **webhook)
    await application.start()
    try:
        yield application
    finally:
        if server is not None:
            await server.stop()
        if poll is not None:
            await poll.stop()
        if application.running:
            await application.stop()
        await _post_stop(application)
        await application.shutdown()


def run_polling(application: Application, *, poll_timeout: int = 10) -> None:
    """Serve the bot with long polling until SIGINT, SIGTERM or SIGABRT, as
    ``Application.run_polling`` would; raises :class:`telegram.error.InvalidToken` when
    Telegram stops accepting the token."""

    async def serve() -> None:
        async with running(application, poll_timeout=poll_timeout):
            poll: LongPoll = application.bot_data[KEY].extra["long_poll"]
            await _until_signal(poll.done)

    asyncio.run(serve())


async def _until_signal(also: Awaitable[Any] | None = None) -> None:
    """Wait for SIGINT, SIGTERM or SIGABRT, or until ``also`` ends (its exception is raised)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        loop.add_signal_handler(signum, stop.set)
    waiting = [asyncio.ensure_future(stop.wait())]
    if also is not None:
        waiting.append(asyncio.ensure_future(also))
    try:
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled():
                task.result()  # polling ended on its own: why
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
            loop.remove_signal_handler(signum)
        waiting[0].cancel()


def run_webhook(application: Application, **webhook: Any) -> None:
    """Serve the bot on a webhook until SIGINT, SIGTERM or SIGABRT, as ``Application.run_webhook``
    would, but with Matang's endpoint (:mod:`bot.telegram.webhook`); ``webhook`` as for
    :func:`bot.telegram.webhook.start_webhook`."""

    async def serve() -> None:
        async with running(application, webhook=webhook):
            await _until_signal()

    asyncio.run(serve())
