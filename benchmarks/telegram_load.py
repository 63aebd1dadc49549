"""The other side of ``python -m benchmarks telegram``: the fake Bot API and the respondents, in a
process of their own, so that the CPU the bot's process uses is the bot's alone.

    python -m benchmarks.telegram_load

prints one JSON line (``{"base_url": …, "token": …}``), then reads one JSON command a line from
standard input and answers each with JSON lines:

- ``{"run": "matang", "users": N, "first": ID}``: N respondents start an interview (untimed), then
  answer every question to the end; a turn ends with the bot's next question (after the last
  answer, with the result), and the time from the last answer to the chart is measured apart;
- ``{"run": "echo", "users": N, "turns": T, "first": ID}``: N users each send T texts to an echo bot;
- ``{"quit": true}``.

Before the timed part it prints ``{"timed": "start"}`` (the bot's process starts its CPU clock);
after it, once the server is idle, what it measured: answers, errors, seconds, the Bot API calls by
method and the latencies themselves in ms (``samples``: presses and typed answers apart;
``chart_samples``), from which the bot's process takes the percentiles of one run or of several.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from benchmarks.load import drive, perform
from fakebotapi import BotMessage, ChatEvent, FakeBotApi, SimUser


def emit(**figures: Any) -> None:
    """One JSON line to the bot's process."""
    sys.stdout.write(json.dumps(figures) + "\n")
    sys.stdout.flush()


def figures(seconds: float, errors: int, first_error: str | None, calls: Counter[str],
            kinds: dict[str, list[float]]) -> dict[str, Any]:
    """What one timed run measured, as the bot's process reads it (the summaries are its job)."""
    return {"answers": sum(len(v) for v in kinds.values()), "errors": errors, "first_error": first_error,
            "seconds": round(seconds, 4), "calls": dict(calls), "samples": kinds}


def api_calls(api: FakeBotApi, since: int) -> Counter[str]:
    """The Bot API calls after the ``since``-th, by method (long polls apart)."""
    return Counter(c.method for c in api.calls[since:])


async def run_matang(api: FakeBotApi, users: int, first: int) -> dict[str, Any]:
    """Whole interviews by ``users`` respondents at once (see the module docstring)."""
    from benchmarks.telegram import Respondent, is_reply, start_interviews

    await start_interviews(api, users, first)
    await api.wait_idle(timeout=60)
    respondent = Respondent()
    kinds: dict[str, list[float]] = {"press": [], "typed": []}
    charts: list[float] = []
    replies: list[float] = []  # when each reply arrived: the last one ends the answering
    errors: list[str] = []
    thanks = tuple(respondent.flow.thanks.get(lang) for lang in ("id", "en"))

    def is_result(message: BotMessage) -> bool:
        return message.kind == "text" and (message.text or "").startswith(thanks)

    def answered(t0: float) -> Callable[[ChatEvent], bool]:
        return lambda e: e.at >= t0 and e.kind != "deleted" and (is_result(e.message) or is_reply(e.message))

    def chart(t0: float) -> Callable[[ChatEvent], bool]:
        return lambda e: e.at >= t0 and e.kind == "sent" and e.message.kind == "photo"

    async def interview(user: SimUser) -> None:
        last = next(m for m in reversed(user.messages) if m.buttons)
        while (action := respondent(user, last)) is not None:
            t0 = time.perf_counter()
            try:
                await perform(user, action, last)
                event = await user.next_event(answered(t0), 60)
            except (TimeoutError, LookupError, ValueError) as exc:
                errors.append(f"user {user.id}: {exc}")
                return
            kinds["typed" if isinstance(action, str) else "press"].append((event.at - t0) * 1000)
            last = event.message
            replies.append(event.at)
            if is_result(last):  # the interview is over: its reply is the result; then the chart
                try:
                    photo = await user.next_event(chart(t0), 120)
                except TimeoutError as exc:
                    errors.append(f"user {user.id}: no chart: {exc}")
                    return
                charts.append((photo.at - t0) * 1000)
                return

    people = [api.user(first + i) for i in range(users)]
    for user in people:
        user.skip()
    since = len(api.calls)
    emit(timed="start")
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(interview(user) for user in people))
    whole = time.perf_counter() - started
    await api.wait_idle(timeout=60)
    # Answers a second count the time the answers took, as the echo bot's replies a second do:
    # to the last reply. The charts still being drawn after it are timed apart (``charts``).
    elapsed = (max(replies) - started) if replies else whole
    out = figures(elapsed, len(errors), errors[0] if errors else None, api_calls(api, since), kinds)
    out["load_cpu_s"] = round(time.process_time() - cpu, 3)
    out["whole_seconds"] = round(whole, 4)
    out["chart_samples"] = charts
    return out


async def run_echo(api: FakeBotApi, users: int, turns: int, first: int) -> dict[str, Any]:
    """``turns`` texts from each of ``users`` users to the echo bot, after a short warm-up."""
    await drive(api, 1, 20, first_user_id=first + 500_000)
    await api.wait_idle(timeout=30)
    since = len(api.calls)
    emit(timed="start")
    cpu = time.process_time()
    result = await drive(api, users, turns, first_user_id=first, timeout=30)
    await api.wait_idle(timeout=30)
    out = figures(result.elapsed, result.errors, result.first_error, api_calls(api, since),
                  {"typed": list(result.latencies_ms)})
    out["load_cpu_s"] = round(time.process_time() - cpu, 3)
    return out


async def main() -> None:
    """Serve the fake Bot API and obey the bot process's commands (see the module docstring)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with FakeBotApi() as api:
        emit(base_url=api.base_url, token=api.token)
        while line := await reader.readline():
            command = json.loads(line)
            if command.get("quit"):
                break
            if command["run"] == "matang":
                emit(**await run_matang(api, command["users"], command["first"]))
            else:
                emit(**await run_echo(api, command["users"], command["turns"], command["first"]))
            api.calls.clear()  # a long run would otherwise keep every call in memory


if __name__ == "__main__":
    asyncio.run(main())
