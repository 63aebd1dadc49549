"""Text laid out for the terminal interview: wrapped to the window, indentation kept.

On a terminal, ``rich`` wraps every paragraph at word boundaries to the window's width and keeps
the hanging indentation of options and hints, so a long label never breaks mid-word at the
screen's edge. When the output is a file or a pipe, lines are written as they are, plain, so a
scripted run's transcript stays exactly the text (and easy to compare).
"""

from __future__ import annotations

from typing import IO, Any


class Screen:
    """Where the terminal interview writes: wrapped on a terminal, plain otherwise."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._console: Any = None
        if _isatty(out):
            from rich.console import Console  # only an interactive run needs it

            # No markup, highlighting or emoji codes: the texts are shown exactly as written.
            self._console = Console(file=out, highlight=False, markup=False, emoji=False)

    @property
    def width(self) -> int | None:
        """The window's width in columns, or None when the output is not a terminal."""
        return self._console.width if self._console is not None else None

    def say(self, text: str = "", *, indent: int = 0) -> None:
        """Write ``text`` (paragraphs split at newlines), every line indented by ``indent``."""
        if self._console is None:
            for line in text.split("\n"):
                print(" " * indent + line if line else line, file=self.out, flush=True)
            return
        from rich.padding import Padding
        from rich.text import Text

        for line in text.split("\n"):
            self._console.print(Padding(Text(line), (0, 0, 0, indent)))

    def item(self, marker: str, text: str, *, indent: int = 3) -> None:
        """Write ``marker text`` (an option "1. label", a review entry) whose wrapped lines line
        up under the text, not under the marker."""
        if self._console is None:
            lines = text.split("\n")
            print(f"{' ' * indent}{marker} {lines[0]}", file=self.out, flush=True)
            for line in lines[1:]:
                print(" " * (indent + len(marker) + 1) + line, file=self.out, flush=True)
            return
        from rich.padding import Padding
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(Text(marker), Text(text))
        self._console.print(Padding(grid, (0, 0, 0, indent)))

    def write(self, text: str) -> None:
        """Write ``text`` as it is, without a newline (a prompt)."""
        self.out.write(text)
        self.out.flush()


def _isatty(out: IO[str]) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False
