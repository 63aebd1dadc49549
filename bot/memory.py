"""Keep a long-running bot's memory flat (glibc's threshold for serving big blocks with mmap) and
its garbage collector out of the way of the answers.

glibc serves a request of at least ``M_MMAP_THRESHOLD`` bytes with its own ``mmap``, returned to
the system when freed. By default that threshold moves up to the largest block freed so far, so
after the first big Bot API response (a ``getUpdates`` batch of a hundred updates is a few hundred
KB) every later one is carved out of the main heap instead. Freed, it leaves a hole that small,
long-lived objects then sit in, and the heap only grows: in the 1,000-respondent soak the bot's
resident memory rose about 1 MB a minute for as long as it ran, all of it free-but-fragmented heap
(Python's own objects and SQLite's page cache stayed flat). Fixing the threshold at 128 KiB
(glibc's starting value) keeps big buffers out of the heap and the heap at its working size; the
soak's memory then levels off within three minutes. ``MALLOC_MMAP_THRESHOLD_=131072`` in the
environment does the same.

:func:`tune_garbage_collector` keeps the garbage collector out of the answers' way. Its full
passes walked every object the bot made at start (the library, the flow, the texts), 80 ms at a
time in the event loop, and every respondent waiting then waited that much longer; and its
young-generation passes, every 700 objects made, ran some 50 times a second under load and found
next to nothing (the bot's objects are freed by reference counting), 5-8 % of the loop's time
(issue 17: at 10 respondents p99 109 -> 46 ms; at 50, 2.3-2.5 -> 2.0-2.2 ms of CPU per answer).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os

M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter number (glibc's malloc.h)."""
MMAP_THRESHOLD = 128 * 1024

log = logging.getLogger("bot.memory")


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for this process; True when it was set.

    Does nothing (False) on a C library other than glibc (musl, macOS), or when the operator set
    ``MALLOC_MMAP_THRESHOLD_`` themselves, which glibc has already applied.
    """
    if os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it: its absence means another libc
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, threshold) == 1
    if not ok:
        log.warning("could not fix the malloc mmap threshold; memory may grow slowly while the bot runs")
    return ok


YOUNG_THRESHOLD = 10_000
"""Objects made (net) between two passes over the youngest generation (Python's default: 700)."""
OLDER_THRESHOLDS = (20, 100)
"""Passes of the generation below between two of the next (defaults 10, 10)."""


def tune_garbage_collector() -> int:
    """Freeze what is alive now and space the collector's passes out; the objects frozen.

    Call it once the bot is built, just before it serves: what exists then (modules, the flow, the
    application) lives as long as the process, so a full pass need not walk it again (it moves to
    the permanent generation). Objects made later are collected as before, only in fewer, larger
    passes (:data:`YOUNG_THRESHOLD`, :data:`OLDER_THRESHOLDS`).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    return gc.get_freeze_count()
