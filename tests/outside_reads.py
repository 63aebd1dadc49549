"""A guard that fails the test run when anything in it reads beside the checkout.

A fresh clone has nothing beside it (no reference folders next to it), so a test that opens a file there passes
only on machines that happen to have one. The guard watches the interpreter's audit events for
opened files and listed folders; a path inside a folder or file that stood *beside* the checkout
when the run began is recorded, and the run fails at its end, naming each path and where it came
from. Temporary files and the Python installation are never beside the checkout unless the
checkout itself sits directly in the temporary folder or the file-system root; then only a
sibling named ``shared`` is watched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

_WATCHED_EVENTS = {"open", "os.listdir", "os.scandir"}


class OutsideReads:
    """Records reads of paths that stood beside ``root`` when it was made."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        parent = self.root.parent
        try:
            names = [e for e in os.listdir(parent) if e != self.root.name]
        except OSError:
            names = []
        if parent == Path(tempfile.gettempdir()).resolve() or parent == parent.parent:
            names = [n for n in names if n == "shared"]
        self.siblings = tuple(str(parent / n) for n in names)
        self.seen: list[tuple[str, str]] = []
        self._busy = False

    def __call__(self, event: str, args: tuple) -> None:
        if event not in _WATCHED_EVENTS or self._busy or not args or not self.siblings:
            return
        path = args[0]
        if isinstance(path, int) or path is None:
            return  # a file descriptor: its opening was seen already
        try:
            text = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if any(text == s or text.startswith(s + os.sep) for s in self.siblings):
            self._busy = True  # formatting the stack opens source files itself
            try:
                where = "".join(traceback.format_stack(limit=6)[:-1])
                self.seen.append((text, where))
            finally:
                self._busy = False

    def report(self) -> str:
        """What was read beside the checkout, one entry per path with the code that read it."""
        first: dict[str, str] = {}
        for path, where in self.seen:
            first.setdefault(path, where)
        return "\n".join(f"read beside the checkout: {path}\n{where}" for path, where in first.items())


def install(root: Path) -> OutsideReads:
    """Start watching for reads beside ``root`` for the rest of this interpreter's life."""
    guard = OutsideReads(root)
    sys.addaudithook(guard)
    return guard
