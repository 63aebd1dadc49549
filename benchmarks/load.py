"""A load driver: many simulated users talk to a bot through the fake Bot API at once.

Each user sends an update, waits until the bot's answer reaches the server, then sends the
next one. Latency is measured from enqueueing the update to the bot's answer (a sendMessage,
sendPhoto, edit, ... in that user's chat) arriving at the server.

    result = await drive(api, n_users=20, messages_per_user=50, respond=my_respondent)
    print(result.as_dict())

`respond(user, last_bot_message)` decides what a user does next (`last_bot_message` is None
before the first turn):
- a `str`: send it as text;
- `("press", text_or_predicate)`: press that inline button on the last bot message;
- `("data", callback_data)`: press a button with this callback_data on the last bot message;
- `("photo", bytes_or_None)`, `("document", bytes_or_None)`, `("sticker",)`, `("location",)`;
- `None`: this user is done.
It may be a coroutine function.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from fakebotapi import BotMessage, ChatEvent, FakeBotApi, SimUser

Action = str | tuple[Any, ...] | None
Respond = Callable[[SimUser, BotMessage | None], Action | Awaitable[Action]]


@dataclass
class LoadResult:
    """What a load run measured. Latencies are in milliseconds."""

    users: int
    messages_per_user: int
    count: int
    errors: int
    elapsed: float
    rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    first_error: str | None = None
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The figures as a JSON-ready dict (without the raw latencies)."""
        d = asdict(self)
        d.pop("latencies_ms")
        return d


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank `q`-th percentile (0-100) of already sorted values; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def echo_respond(user: SimUser, last: BotMessage | None) -> str:
    """A respondent that just says something new each turn (for echo-style bots)."""
    return f"hello {user.id} {len(user.events)}"


async def perform(user: SimUser, action: Action, last: BotMessage | None) -> None:
    """Carry out one `respond` action for `user` (see the module docstring)."""
    if isinstance(action, str):
        await user.send(action)
        return
    if not isinstance(action, tuple) or not action:
        raise ValueError(f"unknown action {action!r}")
    kind, *args = action
    if kind == "press":
        await user.press_button(args[0], last if last is not None and last.buttons else None)
    elif kind == "data":
        if last is None:
            raise ValueError("('data', ...) needs a bot message to press on")
        await user.press(args[0], last.message_id)
    elif kind == "photo":
        await (user.send_photo(args[0]) if args and args[0] else user.send_photo())
    elif kind == "document":
        await (user.send_document(args[0]) if args and args[0] else user.send_document())
    elif kind == "sticker":
        await user.send_sticker()
    elif kind == "location":
        await user.send_location()
    else:
        raise ValueError(f"unknown action {action!r}")


async def _one_user(
    user: SimUser,
    turns: int,
    respond: Respond,
    until: Callable[[BotMessage], bool] | None,
    timeout: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    last: BotMessage | None = None
    for _ in range(turns):
        action = respond(user, last)
        if inspect.isawaitable(action):
            action = await action
        if action is None:
            return
        t0 = time.perf_counter()

        def answered(e: ChatEvent, t0: float = t0) -> bool:
            return e.at >= t0 and e.kind != "deleted" and (until is None or until(e.message))

        try:
            await perform(user, action, last)
            event = await user.next_event(answered, timeout)
        except (TimeoutError, LookupError, ValueError) as exc:
            errors.append(f"user {user.id}: {exc}")
            return
        latencies.append((event.at - t0) * 1000)
        last = event.message


async def drive(
    server: FakeBotApi,
    n_users: int,
    messages_per_user: int,
    respond: Respond = echo_respond,
    *,
    until: Callable[[BotMessage], bool] | None = None,
    first_user_id: int = 100_001,
    timeout: float = 10.0,
) -> LoadResult:
    """Run `n_users` concurrent users for `messages_per_user` turns each against `server`.

    A turn ends at the first message the bot sends or edits in that chat after the update was
    enqueued, or, with `until`, at the first one for which `until(message)` holds (use it when
    the bot answers a turn with several messages). A user that gets no answer within `timeout`
    counts one error and stops.
    """
    users = [
        server.user(first_user_id + i, first_name=f"Load{i}", language_code="id")
        for i in range(n_users)
    ]
    for user in users:
        user.skip()
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _one_user(u, messages_per_user, respond, until, timeout, latencies, errors)
            for u in users
        )
    )
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return LoadResult(
        users=n_users,
        messages_per_user=messages_per_user,
        count=len(ordered),
        errors=len(errors),
        elapsed=round(elapsed, 4),
        rate=round(len(ordered) / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=round(percentile(ordered, 50), 3),
        p90_ms=round(percentile(ordered, 90), 3),
        p99_ms=round(percentile(ordered, 99), 3),
        max_ms=round(ordered[-1], 3) if ordered else 0.0,
        first_error=errors[0] if errors else None,
        latencies_ms=ordered,
    )


async def measure_echo_floor(
    n_users: int = 20,
    messages_per_user: int = 50,
    concurrent_updates: bool | int = False,
    warmup: int = 20,
) -> LoadResult:
    """The floor: a bare PTB echo bot polling a fresh FakeBotApi in this process, driven by
    `drive` (after `warmup` untimed turns by one user)."""
    from benchmarks.echo import build_echo_application, polling

    async with FakeBotApi() as api:
        app = build_echo_application(api.base_url, api.token, concurrent_updates)
        async with polling(app):
            if warmup:
                await drive(api, 1, warmup, first_user_id=900_001)
            return await drive(api, n_users, messages_per_user)


def main() -> None:
    """Print the echo floor for 1 and 20 users, then one JSON line."""
    rows = [asyncio.run(measure_echo_floor(n, 200 if n == 1 else 50)) for n in (1, 20)]
    print(f"{'users':>5} {'updates':>8} {'upd/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(
            f"{r.users:>5} {r.count:>8} {r.rate:>8.1f} {r.p50_ms:>8.2f} {r.p90_ms:>8.2f} "
            f"{r.p99_ms:>8.2f}"
        )
    print(json.dumps({"echo_floor": [r.as_dict() for r in rows]}))


if __name__ == "__main__":
    main()
