"""What every Telegram handler shares: settings, the store, the interview service, and a few look-ups.

``application.bot_data["matang"]`` holds one :class:`BotContext`; researcher commands
(``bot.telegram.research``) read ``.settings``, ``.store`` and ``.interviews`` from it too.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.chart_worker import ChartWorker
from bot.interviews import Interviews
from bot.settings import Settings
from bot.store import SessionRecord, Store
from bot.telegram.delivery import WebhookReplies
from interview_flows.schema import Flow

CHANNEL = "telegram"
KEY = "matang"
PRE_CONSENT_LIMIT = 10_000
"""How many people's choices made before consent (a language, a study code) are kept in memory."""


@dataclass
class BotContext:
    """The bot's shared state. One per application; only used from the event loop's thread."""

    settings: Settings
    store: Store
    interviews: Interviews
    flow: Flow
    """The flow of self-assessments (a study brings its own flow and version)."""
    reminder_hours: float = 24.0
    """Hours of silence before the one reminder of an unfinished interview (0: no reminders)."""
    sweep_seconds: float = 60.0
    """How often the sweep runs: due reminders, and update ids older than a week."""
    chart: Callable[[Any, str], bytes] | None = None
    """Renders an assessment as PNG (``bot.charts.render_chart`` unless replaced)."""
    charts: ChartWorker = None  # type: ignore[assignment]
    """Draws charts off the event loop and keeps them per session (made from ``chart``)."""
    webhook_replies: WebhookReplies = field(default_factory=WebhookReplies)
    """Callback answers that go out in a webhook's HTTP reply (webhook mode only)."""
    extra: dict[str, Any] = field(default_factory=dict)
    pre_consent: OrderedDict[int, dict[str, str]] = field(default_factory=OrderedDict)
    """Choices made before consent, by Telegram user id, newest last. Nothing is recorded before
    consent, so they live only here; bounded, unlike python-telegram-bot's ``user_data`` (one dict
    per person who ever wrote, kept for the life of the process)."""

    def __post_init__(self) -> None:
        if self.charts is None:
            self.charts = ChartWorker(self.chart)
        self._background: set[asyncio.Task[Any]] = set()

    def background(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` beside the update that started it (kept until done; awaited at stop)."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def finish_background(self, timeout: float = 30.0) -> None:
        """Let background work (charts on their way) finish at stop; cancel what is still left."""
        tasks = list(self._background)
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- before consent --------------------------------------------------------------------

    def before_consent(self, user_id: int, key: str) -> str | None:
        """A choice this person made before consenting (``lang`` or ``code``), if still remembered."""
        return self.pre_consent.get(user_id, {}).get(key)

    def remember_before_consent(self, user_id: int, **choices: str) -> None:
        """Remember choices made before consent, forgetting the oldest person past the limit."""
        self.pre_consent.setdefault(user_id, {}).update(choices)
        self.pre_consent.move_to_end(user_id)
        while len(self.pre_consent) > PRE_CONSENT_LIMIT:
            self.pre_consent.popitem(last=False)

    def forget_before_consent(self, user_id: int) -> None:
        """Drop what was kept for a person before consent (they answered it, or erased themselves)."""
        self.pre_consent.pop(user_id, None)

    # -- respondents -----------------------------------------------------------------------

    def respondent_id(self, user_id: int) -> int | None:
        """The respondent id of a Telegram user, or None when they never consented or refused."""
        row = next(
            self.store.select(
                "select id from respondents where channel = ? and external_id = ?", [CHANNEL, str(user_id)]
            ),
            None,
        )
        return int(row["id"]) if row else None

    def ensure_respondent(self, user_id: int, lang: str) -> int:
        """The respondent id of a Telegram user, created when needed (no name or username kept)."""
        return self.store.respondent(CHANNEL, str(user_id), lang=lang)

    def stored_lang(self, respondent_id: int | None) -> str | None:
        """The language the respondent chose (or was greeted in), if known."""
        if respondent_id is None:
            return None
        row = self.store.respondent_row(respondent_id)
        return row["lang"] if row and row["lang"] in ("id", "en") else None

    def set_respondent_lang(self, respondent_id: int, lang: str) -> None:
        """Remember the respondent's language for later interviews."""
        self.store.db.execute("update respondents set lang = ? where id = ?", [lang, respondent_id])

    # -- sessions --------------------------------------------------------------------------

    def open_record(self, respondent_id: int | None) -> SessionRecord | None:
        """The respondent's unfinished Telegram session, if any."""
        if respondent_id is None:
            return None
        record = self.store.open_session(respondent_id)
        return record if record is not None and record.channel == CHANNEL else None

    def finished_record(self, respondent_id: int | None) -> SessionRecord | None:
        """The respondent's latest finished session, if any."""
        if respondent_id is None:
            return None
        return self.store.latest_session(respondent_id, "finished")

    def remind_time(self) -> str | None:
        """When an interview answered now should be reminded of (None: reminders are off)."""
        if self.reminder_hours <= 0:
            return None
        return (datetime.now(UTC) + timedelta(hours=self.reminder_hours)).isoformat(timespec="milliseconds")

    def schedule_reminder(self, record: SessionRecord) -> None:
        """Move the session's reminder to ``reminder_hours`` from now (one reminder per session)."""
        record.remind_at = self.remind_time() if record.reminded_at is None else None


def bot_context(context: Any) -> BotContext:
    """The :class:`BotContext` of a handler's ``context`` (or of an ``Application``)."""
    data = context.bot_data if hasattr(context, "bot_data") else context.application.bot_data
    return data[KEY]
