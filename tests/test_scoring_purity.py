"""``scoring`` is pure (design.md): no I/O libraries, no writes, no import of ``bot``; light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SCORING = Path(__file__).resolve().parents[1] / "scoring"
FORBIDDEN = {
    "bot",
    "sqlite3",
    "sqlite_utils",
    "socket",
    "urllib",
    "http",
    "httpx",
    "requests",
    "aiohttp",
    "telegram",
    "matplotlib",
    "PIL",
    "fpdf",
    "openpyxl",
    "subprocess",
    "shutil",
    "tempfile",
}


@pytest.mark.parametrize("path", sorted(SCORING.glob("*.py")), ids=lambda p: p.name)
def test_scoring_modules_import_no_io_library_and_write_nothing(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {(node.module or "").split(".")[0]}
        else:
            roots = set()
        assert not roots & FORBIDDEN, f"{path.name} imports {roots & FORBIDDEN}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"write_text", "write_bytes", "mkdir", "unlink"}, path.name
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "open"
        ):
            pytest.fail(
                f"{path.name} opens a file; packaged data is read through importlib.resources"
            )


def test_importing_scoring_is_light() -> None:
    code = (
        "import sys, scoring; "
        "print(sorted(m for m in ('yaml', 'pydantic', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"
