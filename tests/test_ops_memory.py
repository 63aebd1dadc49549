"""The bot fixes glibc's mmap threshold so big Bot API buffers never fragment its heap
(``bot/memory.py``; the soak benchmark shows the memory it saves)."""

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
