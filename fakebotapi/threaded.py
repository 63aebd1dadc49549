"""The fake server on its own event loop in a background thread, driven with blocking calls.

For tests whose bot runs in another process (or in another loop):

    with FakeBotApiThread() as api:
        env = {"MATANG_TELEGRAM_API_URL": api.base_url, "MATANG_TELEGRAM_TOKEN": api.token}
        ...  # start `matang run` with env
        sari = api.user(1001)
        sari.send("/start")
        print(sari.next_message(timeout=10).text)
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

from .server import FakeBotApi
from .users import SimUser

_SLACK = 10.0  # extra seconds a blocking call waits beyond the call's own `timeout`


class _LoopRunner:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="fakebotapi", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, func: Any, *args: Any, wait: float = 30.0, **kwargs: Any) -> Any:
        """Run `func(*args, **kwargs)` on the loop (awaiting it if needed); block for the result."""

        async def invoke() -> Any:
            result = func(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        future = asyncio.run_coroutine_threadsafe(invoke(), self.loop)
        return future.result(wait)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Blocking:
    """A blocking view of an object living on the server's loop: every method runs there and
    returns its (awaited) result; attributes are read there. Lists come back as copies and
    `SimUser`s come back wrapped, so `api.user(1).send("hi")` blocks until queued."""

    def __init__(self, target: Any, runner: _LoopRunner) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_runner", runner)

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, SimUser):
            return Blocking(value, self._runner)
        if isinstance(value, list):
            return list(value)
        return value

    def __getattr__(self, name: str) -> Any:
        target, runner = self._target, self._runner
        if callable(getattr(type(target), name, None)):

            def method(*args: Any, **kwargs: Any) -> Any:
                wait = float(kwargs.get("timeout") or 5) + _SLACK
                return self._wrap(runner.call(getattr(target, name), *args, wait=wait, **kwargs))

            method.__doc__ = getattr(type(target), name).__doc__
            return method
        return self._wrap(runner.call(getattr, target, name))

    def __setattr__(self, name: str, value: Any) -> None:
        self._runner.call(setattr, self._target, name, value)

    def __repr__(self) -> str:
        return f"<Blocking {self._target!r}>"


class FakeBotApiThread(Blocking):
    """`FakeBotApi` hosted in a background thread; use as a context manager.

    Takes the same arguments as `FakeBotApi`. Exposes the server's API synchronously
    (`user`, `calls_for`, `fail_next`, `wait_idle`, ...); `.server` is the async object itself
    (touch it only from its loop, `.loop`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        runner = _LoopRunner()
        server = runner.call(FakeBotApi, *args, **kwargs)
        super().__init__(server, runner)
        object.__setattr__(self, "server", server)
        object.__setattr__(self, "loop", runner.loop)

    def start(self) -> FakeBotApiThread:
        """Start listening; returns self."""
        self._runner.call(self.server.start)
        return self

    def stop(self) -> None:
        """Stop the server and its thread."""
        try:
            self._runner.call(self.server.stop)
        finally:
            self._runner.close()

    def __enter__(self) -> FakeBotApiThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
