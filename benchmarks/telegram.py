"""The Telegram bot under load: many respondents answering at once, beside a bare echo bot.

Both bots run in this process against one fake Bot API server on 127.0.0.1, through
python-telegram-bot's real HTTP client. For 1, 10, 50 and 100 simulated respondents we measure
answers per second and the latency from the update to the bot's complete reply (the next
question), then the same figures for the bare echo bot (the floor) on the same server, with the
same concurrency. Matang runs without the flood limiter (a local server has none) so the figures
show what the bot itself can do; one extra row shows the limiter holding it to Telegram's ~30
messages a second.

    python -m benchmarks telegram [--quick]
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import time
from html import escape
from pathlib import Path
from typing import Any

from benchmarks.echo import build_echo_application, polling
from benchmarks.load import LoadResult, drive
from fakebotapi import BotMessage, FakeBotApi, SimUser

FLOW = "ogmm-social-media"
CONCURRENCY = 64
QUESTION_KINDS = ("a", "t", "m", "n", "s")
_DATA = re.compile(r"^([atmns]):(\d+):(\d+)(?::(\w+))?$")


class Respondent:
    """Answers whatever the bot asks: the first choice, a small number, a short text."""

    def __init__(self) -> None:
        from interview_flows.loader import load_flow

        self.flow = load_flow(FLOW)
        self.by_text = {f"<b>{escape(q.text.get('id'))}</b>": q for q in self.flow.questions}

    def question(self, message: BotMessage) -> Any:
        for row in message.buttons:
            for b in row:
                m = _DATA.match(b.data or "")
                if m:
                    return self.flow.questions[int(m.group(3))]
        text = message.text or ""
        return next((q for marker, q in self.by_text.items() if marker in text), None)

    def __call__(self, user: SimUser, last: BotMessage | None) -> Any:
        if last is None:
            return None
        q = self.question(last)
        if q is None:
            return None
        data = {b.text: b.data for row in last.buttons for b in row}

        def press(prefix: str) -> tuple[str, Any]:
            wanted = next(d for d in data.values() if d.startswith(prefix))
            return ("press", lambda b: b.data == wanted)

        if q.type == "note":
            return press("n:")
        if q.type == "multiple_choice":
            return press("m:" if any(text.startswith("✓") for text in data) else "t:")
        if q.type in ("single_choice", "yes_no", "scale"):
            return press("a:")
        if q.type == "number":
            return str(int(q.min or 0) + 1)
        return "Kami membalas komentar setiap pagi."


def is_reply(message: BotMessage) -> bool:
    """A turn's reply: the next question (or a question's keyboard after a tick), not the edit
    that shows the answer just given."""
    if any((b.data or "")[:2] in ("t:", "m:") for row in message.buttons for b in row):
        return True
    text = message.text or ""
    if not text.startswith("<i>") or "✅" in text or "⏭" in text:
        return False
    # A note loses its button once passed; a question to type has no buttons but a bold text.
    return bool(message.buttons) or "<b>" in text


async def _start_interviews(api: FakeBotApi, n_users: int, first_id: int) -> None:
    """Every user sends /start and agrees (not timed)."""
    async def begin(user: SimUser, last: BotMessage | None) -> Any:
        if last is None:
            return "/start"
        if last.buttons and last.buttons[0][0].data.startswith("c:y"):
            return ("press", lambda b: b.data.startswith("c:y"))
        return None

    def ready(m: BotMessage) -> bool:
        return bool(m.buttons) and (m.buttons[0][0].data or "")[:2] in ("c:", "n:")

    await drive(api, n_users, 3, begin, until=ready, first_user_id=first_id, timeout=30)


async def measure_matang(api: FakeBotApi, n_users: int, turns: int, first_id: int, *,
                         rate_limit: bool = False) -> tuple[LoadResult, float]:
    """Matang answering ``n_users`` respondents for ``turns`` answers each; also Bot API calls/s."""
    from bot.settings import Settings
    from bot.store import Store
    from bot.telegram.app import build_application, running

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        settings = Settings(telegram_token=None, telegram_api_url=api.base_url, db=db, flow=FLOW)
        store = Store.open(db)
        app = build_application(settings, store, token=api.token, rate_limit=rate_limit,
                                concurrency=CONCURRENCY, chart=lambda a, lang: b"")
        try:
            async with running(app, poll_timeout=10):
                await _start_interviews(api, n_users, first_id)
                await api.wait_idle(timeout=30)
                for i in range(n_users):
                    api.user(first_id + i).skip()
                respondent = Respondent()
                # drive() starts each user from None; hand it the question already on screen.
                def respond(user: SimUser, last: BotMessage | None) -> Any:
                    if last is None:
                        last = next(m for m in reversed(user.messages) if m.buttons)
                    return respondent(user, last)

                calls_before = _chat_calls(api)
                result = await drive(api, n_users, turns, respond, until=is_reply, first_user_id=first_id,
                                     timeout=60)
                calls = _chat_calls(api) - calls_before
                await api.wait_idle(timeout=30)
        finally:
            store.close()
    return result, round(calls / result.elapsed, 1) if result.elapsed else 0.0


def _chat_calls(api: FakeBotApi) -> int:
    return sum(1 for c in api.calls if c.method in ("sendMessage", "editMessageText", "editMessageReplyMarkup",
                                                   "sendPhoto"))


async def measure_echo(api: FakeBotApi, n_users: int, turns: int, first_id: int) -> LoadResult:
    """The bare echo bot on the same server, with the same concurrency."""
    app = build_echo_application(api.base_url, api.token, CONCURRENCY)
    async with polling(app):
        await drive(api, 1, 20, first_user_id=first_id + 50_000)  # warm-up
        return await drive(api, n_users, turns, first_user_id=first_id)


async def _run(quick: bool) -> dict[str, Any]:
    sizes = [(1, 20), (10, 10)] if quick else [(1, 40), (10, 30), (50, 20), (100, 20)]
    rows: list[dict[str, Any]] = []
    async with FakeBotApi() as api:
        # Warm-up: imports, the flow, the first connections.
        await measure_matang(api, 1, 5, 10_000)
        first = 100_000
        for n_users, turns in sizes:
            echo = await measure_echo(api, n_users, turns, first)
            first += 1000
            matang, calls = await measure_matang(api, n_users, turns, first)
            first += 1000
            rows.append(_row(n_users, matang, echo, calls, limiter=False))
        if not quick:
            echo = await measure_echo(api, 20, 5, first)
            first += 1000
            matang, calls = await measure_matang(api, 20, 5, first, rate_limit=True)
            rows.append(_row(20, matang, echo, calls, limiter=True))
    return {"rows": rows}


def _row(users: int, matang: LoadResult, echo: LoadResult, calls: float, *, limiter: bool) -> dict[str, Any]:
    return {
        "users": users,
        "rate_limiter": limiter,
        "answers": matang.count,
        "errors": matang.errors + echo.errors,
        "answers_per_s": matang.rate,
        "echo_per_s": echo.rate,
        "p50_ms": matang.p50_ms,
        "echo_p50_ms": echo.p50_ms,
        "p99_ms": matang.p99_ms,
        "echo_p99_ms": echo.p99_ms,
        "bot_api_calls_per_s": calls,
        "first_error": matang.first_error or echo.first_error,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure, print a table, and return the figures (see the module docstring)."""
    for name in ("telegram", "httpx", "matang", "transitions", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    started = time.perf_counter()
    figures = asyncio.run(_run(quick))
    print(f"{'users':>5} {'limiter':>7} {'answers':>7} {'ans/s':>8} {'echo/s':>8} "
          f"{'p50 ms':>7} {'echo':>6} {'p99 ms':>7} {'echo':>6} {'API/s':>7}")
    for r in figures["rows"]:
        print(f"{r['users']:>5} {'on' if r['rate_limiter'] else 'off':>7} {r['answers']:>7} "
              f"{r['answers_per_s']:>8.1f} {r['echo_per_s']:>8.1f} {r['p50_ms']:>7.2f} {r['echo_p50_ms']:>6.2f} "
              f"{r['p99_ms']:>7.2f} {r['echo_p99_ms']:>6.2f} {r['bot_api_calls_per_s']:>7.1f}")
        if r["errors"]:
            print(f"      {r['errors']} error(s): {r['first_error']}")
    print("ans/s: answers a second through Matang (reply = the next question); echo: the bare echo bot, "
          "same server, same concurrency; API/s: Matang's sends and edits a second (Telegram allows ~30).")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True)))
