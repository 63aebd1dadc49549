"""The benchmarks on the compiled build: ``python -m benchmarks NAME… --compiled``.

A checkout's editable install runs the scoring modules as plain Python (setup.py); a wheel, the
Docker image and ``pip install .`` run them compiled with mypyc. ``--compiled`` builds this
checkout's wheel into a temporary folder (10–60 s), unpacks it there, and runs the same
benchmarks again in a fresh interpreter that imports the product from it and only the benchmarks
from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def unpacked_wheel(folder: Path) -> Path:
    """Build this checkout's wheel and unpack it into ``folder/site``; the folder to import from."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--quiet", "-w", str(folder), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        raise SystemExit(f"building the wheel failed:\n{built.stderr[-3000:]}")
    (wheel,) = folder.glob("matang-*.whl")
    site = folder / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site


def environment(site: Path) -> dict[str, str]:
    """The environment of an interpreter that imports the product from ``site``, the rest from here.

    Run it with ``-P`` (no script or working folder first on the path), or the checkout's plain
    modules would come first.
    """
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}


def rerun(argv: list[str]) -> int:
    """Run ``python -m benchmarks`` with ``argv`` on the compiled build; its exit status."""
    with tempfile.TemporaryDirectory(prefix="matang-compiled-") as tmp:
        print("building the compiled wheel (mypyc) …", flush=True)
        site = unpacked_wheel(Path(tmp))
        # --installed: should the wheel have come out plain (no C compiler), the run says so in its
        # first row instead of building the wheel again.
        command = [sys.executable, "-P", "-m", "benchmarks", *argv, "--installed"]
        return subprocess.run(command, env=environment(site), cwd=ROOT).returncode
