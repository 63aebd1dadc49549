"""Keep a long-running bot's memory flat: fix glibc's threshold for serving big blocks with mmap.

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
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
