"""The project stands on its own: a copy of the repository with nothing beside it collects its
whole test suite, nothing reads beside the checkout, and the wheel carries only the product."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRODUCT = {"bot", "interview_flows", "scoring"}


def tracked_files() -> list[str]:
    """The repository's files as a clone has them (committed or about to be; never .venv or caches)."""
    if (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        return [line for line in out.splitlines() if (ROOT / line).is_file()]
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist", "site"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


@pytest.fixture(scope="module")
def lone_copy(tmp_path_factory) -> Path:
    """A copy of the repository in a folder of its own, with nothing beside it."""
    copy = tmp_path_factory.mktemp("alone") / "matang"
    for name in tracked_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    return copy


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_whole_suite_collects_in_a_copy_with_nothing_beside_it(lone_copy):
    done = run_pytest(lone_copy, "--collect-only", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    counted = [line for line in done.stdout.splitlines() if " collected" in line or "tests collected" in line]
    assert counted and not any(" error" in line for line in counted), done.stdout[-2000:]
    assert int(counted[-1].split()[0].split("/")[0]) > 100


def test_a_read_beside_the_checkout_fails_the_run_and_names_the_path(lone_copy):
    # The guard of tests/conftest.py, tried on a test written to read a sibling folder.
    beside = lone_copy.parent / "reference"
    beside.mkdir(exist_ok=True)
    (beside / "schema.xsd").write_text("<schema/>")
    probe = lone_copy / "tests" / "test_reads_beside.py"
    probe.write_text("from pathlib import Path\n\n"
                     "def test_reads():\n"
                     "    assert Path(__file__).resolve().parents[2].joinpath('reference', 'schema.xsd').read_text()\n")
    try:
        done = run_pytest(lone_copy, "-q", "tests/test_reads_beside.py")
    finally:
        probe.unlink()
        shutil.rmtree(beside)
    assert "1 passed" in done.stdout  # the test itself passes where the folder exists …
    assert done.returncode == 1  # … and the run fails all the same
    assert f"read beside the checkout: {beside / 'schema.xsd'}" in done.stdout
    assert "test_reads_beside.py" in done.stdout


def test_the_wheel_carries_the_product_and_no_development_tools(lone_copy, tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
                           cwd=lone_copy, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("matang-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == PRODUCT
    assert not [n for n in names if n.startswith(("benchmarks/", "fakebotapi/", "tests/", "deploy/"))]
    # What the product reads at run time travels with it.
    assert any(n.startswith("interview_flows/flows/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("scoring/data/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("bot/fonts/") and n.endswith(".ttf") for n in names)
