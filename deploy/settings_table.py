"""Print, check or rewrite the configuration table of the operators' guide from ``bot.settings``.

The table sits between ``<!-- settings-table:start -->`` and ``<!-- settings-table:end -->`` in
the operators' guide, ``docs/operators.md``. ``tests/test_ops_docs.py`` fails when
it drifts from :class:`bot.settings.Settings`.

    python deploy/settings_table.py                      # print the table
    python deploy/settings_table.py --write docs/operators.md
    python deploy/settings_table.py --check docs/operators.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

START = "<!-- settings-table:start (made by deploy/settings_table.py; edit bot/settings.py instead) -->"
END = "<!-- settings-table:end -->"


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def settings_rows() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every field of :class:`bot.settings.Settings`."""
    from bot.settings import Settings

    prefix = Settings.model_config.get("env_prefix", "")
    rows = []
    for name, field in Settings.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        rows.append((f"`{prefix}{name.upper()}`", _default(field), meaning))
    return rows


def settings_table() -> str:
    """The Markdown table, markers included."""
    lines = [START, "| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| {var} | {default} | {meaning} |" for var, default, meaning in settings_rows()]
    lines.append(END)
    return "\n".join(lines)


def replace_table(text: str) -> str:
    """``text`` with the table between the markers made anew."""
    start = text.index(START)
    end = text.index(END, start) + len(END)
    return text[:start] + settings_table() + text[end:]


def main(argv: list[str]) -> int:
    if not argv:
        print(settings_table())
        return 0
    mode, files = argv[0], [Path(a) for a in argv[1:]]
    stale = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if START not in text:
            continue
        fresh = replace_table(text)
        if fresh != text:
            if mode == "--write":
                path.write_text(fresh, encoding="utf-8")
                print(f"rewrote the table in {path}")
            else:
                stale.append(str(path))
    if stale:
        print(f"configuration table out of date in {', '.join(stale)}: "
              "run python deploy/settings_table.py --write " + " ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))
