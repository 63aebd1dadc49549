"""The result chart drawn away from the bot's event loop, in a worker process, and kept per session.

With matplotlib a chart took 0.1-0.25 s of CPU (issue 17 measured 0.45 s); drawn in the event
loop's process (even in a thread: the drawing holds the interpreter lock) it stalled every other
respondent's answer for that long. Painted with Pillow it takes about 5 ms once the worker is warm
(``python -m benchmarks chart``), yet it stays out of the bot's process: the first chart loads the
fonts and Pillow (some 40 ms), and a burst of finished interviews would still queue in the event
loop. :class:`ChartWorker` draws in one worker process started with the bot, so the bot only
sends the assessment over and receives the PNG; the same chart asked again (``/result``, a resend
after a restart) comes from a small cache, keyed by the session, the language and the assessment.
The worker runs at a lower CPU priority than the bot (:data:`NICENESS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("bot.charts")

CACHE_SIZE = 64
"""Charts kept (about 50 KB each): enough for everyone who finished in the last minutes."""
NICENESS = 10
"""How much lower the worker's CPU priority is than the bot's. A chart is a picture that follows
the result; when a burst of people finish together, the charts queue in the worker, and on a busy
machine they must not take the CPU from those still answering (their next question is what they
wait for)."""


def _draw(assessment: Mapping[str, Any], lang: str) -> bytes:
    """In the worker: the chart (Pillow, the fonts and the letters already set stay between charts)."""
    from bot.charts import render_chart

    return render_chart(assessment, lang)


def _stay_with_parent(parent: int) -> None:
    """In the worker, at start: end when the bot ends, even killed (SIGKILL leaves no time to say so)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the bot died before prctl took effect
        os._exit(0)

    def watch() -> None:  # where prctl is missing (not Linux)
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(parent: int) -> None:
    """In the worker, at start: tied to the bot's life, and below it in CPU priority."""
    _stay_with_parent(parent)
    with contextlib.suppress(OSError, AttributeError):  # not allowed, or not POSIX: drawn all the same
        os.nice(NICENESS)


def _warm() -> bool:
    """In the worker: draw a chart in each language before the first is asked for, so Pillow is
    imported, the fonts loaded and the texts every chart has (titles, legend, percentages) set."""
    from bot.charts import render_chart
    from interview_flows.loader import load_named_flow
    from scoring.assessment import assess

    nothing_yet = assess(load_named_flow("ogmm-social-media"), {})
    for lang in ("id", "en"):
        render_chart(nothing_yet, lang)
    return True


def chart_key(session_id: Any, lang: str, assessment: Mapping[str, Any]) -> str:
    """What a chart depends on: the session, the language and the assessment itself.

    >>> chart_key(7, "id", {"level": 2}) == chart_key(7, "id", {"level": 2})
    True
    >>> chart_key(7, "id", {"level": 2}) == chart_key(7, "id", {"level": 3})
    False
    """
    digest = hashlib.sha256(json.dumps(assessment, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{session_id}:{lang}:{digest}"


class ChartWorker:
    """Draws charts in one worker process (or with ``draw``, a replacement, in a thread) and
    keeps the last :data:`CACHE_SIZE` of them.

    ``start()`` launches the worker and warms it up (:func:`_warm`) in the background; ``close()``
    stops it. A worker that died is replaced at the next chart.
    """

    def __init__(self, draw: Callable[[Any, str], bytes] | None = None, cache_size: int = CACHE_SIZE) -> None:
        self.replacement = draw
        self.cache_size = cache_size
        self.cache: OrderedDict[str, bytes] = OrderedDict()
        self.drawn = 0
        """Charts actually drawn (not served from the cache)."""
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker process and warm it up, without waiting for it."""
        if self.replacement is None and self._pool is None:
            # spawn, not fork: the bot has threads (sqlite, the resolver), a fork would copy their locks.
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(os.getpid(),))
            self._pool.submit(_warm)

    async def chart(self, session_id: Any, assessment: Mapping[str, Any], lang: str) -> bytes:
        """The PNG of ``assessment`` for session ``session_id`` in ``lang``, drawn once."""
        key = chart_key(session_id, lang, assessment)
        png = self.cache.get(key)
        if png is not None:
            self.cache.move_to_end(key)
            return png
        png = await self._render(dict(assessment), lang)
        self.drawn += 1
        self.cache[key] = png
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return png

    async def _render(self, assessment: dict[str, Any], lang: str) -> bytes:
        if self.replacement is not None:
            return await asyncio.to_thread(self.replacement, assessment, lang)
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            self.start()
            assert self._pool is not None
            try:
                return await loop.run_in_executor(self._pool, _draw, assessment, lang)
            except BrokenProcessPool:
                # The worker died (killed, out of memory): start a new one and try once more.
                log.warning("the chart worker stopped; starting a new one (attempt %d)", attempt)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        raise RuntimeError("the chart worker cannot start")

    async def close(self) -> None:
        """Stop the worker process (waiting for it, off the event loop)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
