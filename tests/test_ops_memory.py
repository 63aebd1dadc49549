"""The bot fixes glibc's mmap threshold so big Bot API buffers never fragment its heap, and freezes
what it made at start and spaces the collector's passes out (``bot/memory.py``; the soak and
Telegram benchmarks show what they save)."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import ctypes, sys
fields = [(n, ctypes.c_size_t) for n in
          ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
class MallInfo2(ctypes.Structure):
    _fields_ = fields
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "fix":
    from bot.memory import fix_mmap_threshold
    assert fix_mmap_threshold()
# A 4 MB block, freed: by default glibc now serves everything up to 4 MB from the heap.
libc.free(libc.malloc(4 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(512 << 10)  # a big getUpdates response
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""


def glibc() -> bool:
    try:
        return bool(ctypes.CDLL("libc.so.6").gnu_get_libc_version) and hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except (OSError, AttributeError):
        return False


@pytest.mark.skipif(not glibc(), reason="glibc only")
@pytest.mark.parametrize(("mode", "mapped"), [("fix", "1"), ("default", "0")])
def test_big_blocks_get_their_own_mapping_only_once_the_threshold_is_fixed(mode, mapped):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no MALLOC_* from the caller
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == mapped


def test_an_operators_own_setting_is_left_alone(monkeypatch):
    from bot.memory import fix_mmap_threshold

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "262144")
    assert fix_mmap_threshold() is False


FREEZE_PROBE = """
import gc
from bot.memory import tune_garbage_collector
from bot.telegram.app import build_application  # the bot's modules, as `matang run` has them
start = [[] for _ in range(1000)]  # lists: objects the collector tracks
moved = tune_garbage_collector()
assert moved >= len(start), moved
assert gc.get_threshold()[0] > 700 and gc.isenabled(), gc.get_threshold()
frozen = gc.get_freeze_count()

class Node:
    pass

# What is made later is still collected: a reference cycle dropped after the freeze goes.
a, b = Node(), Node()
a.other, b.other = b, a
del a, b
print(gc.collect() >= 2, gc.get_freeze_count() == frozen)
"""


def test_what_lives_from_start_is_frozen_and_later_garbage_still_collected():
    """A full collection walked every start-up object, 80 ms at a time in the event loop; the
    young generation was collected some 50 times a second for nothing."""
    done = subprocess.run([sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
