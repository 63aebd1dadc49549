"""The project stands on its own: a copy of the repository with nothing beside it collects its
whole test suite, nothing reads beside the checkout, and the wheel carries only the product."""

from __future__ import annotations

import json
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


@pytest.fixture(scope="module")
def wheel(lone_copy, tmp_path_factory) -> Path:
    """The wheel a fresh copy builds (scoring compiled with mypyc where a C compiler is at hand)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--quiet", "-w", str(out), "."],
                           cwd=lone_copy, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-2000:]
    (found,) = out.glob("matang-*.whl")
    return found


def test_the_wheel_carries_the_product_and_no_development_tools(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == PRODUCT
    assert not [n for n in names if n.startswith(("benchmarks/", "fakebotapi/", "tests/", "deploy/"))]
    # What the product reads at run time travels with it.
    assert any(n.startswith("interview_flows/flows/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("scoring/data/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("bot/fonts/") and n.endswith(".ttf") for n in names)


# What setup.py compiles: the modules an assessment runs through.
COMPILED = {"scoring/advice", "scoring/assessment", "scoring/consistency", "scoring/estimates", "scoring/levels",
            "scoring/organisation", "scoring/ratings", "scoring/suggestions", "scoring/themes", "scoring/values",
            "interview_flows/expressions"}
SCORING_TESTS = ["tests/test_scoring_golden.py", "tests/test_fast_paths_scoring.py", "tests/test_fast_paths.py",
                 "tests/test_scoring_themes.py", "tests/test_scoring_advice.py", "tests/test_scoring_values.py",
                 "tests/test_scoring_ratings.py", "tests/test_scoring_assessment.py",
                 "tests/test_scoring_suggestions.py", "tests/test_scoring_levels.py", "tests/test_scoring_organisation.py",
                 "tests/test_fast_paths_themes.py", "tests/test_flow_schema.py", "tests/test_engine.py"]


@pytest.mark.skipif(not shutil.which(os.environ.get("CC", "cc")) and not shutil.which("gcc"),
                    reason="no C compiler here: the wheel is plain Python (setup.py)")
def test_the_wheel_compiles_the_assessment_and_it_gives_what_the_plain_modules_give(wheel, lone_copy, tmp_path):
    names = zipfile.ZipFile(wheel).namelist()
    built = {n.split(".", 1)[0] for n in names if n.endswith(".so")}
    assert built >= COMPILED, sorted(built)
    assert {n.split(".", 1)[0] for n in names if n.endswith(".py")} >= COMPILED  # the source travels beside them
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # -P: neither the working folder nor a script's folder comes first, so the product is the
    # wheel's and only the tests come from the copy.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(lone_copy)])
    where = subprocess.run([sys.executable, "-P", "-c", "import scoring, scoring.themes as t; print(scoring.build(), t.__file__)"],
                           cwd=lone_copy, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-2000:]
    build, path = where.stdout.split()
    assert build == "mypyc" and path.startswith(str(site)) and path.endswith(".so")
    # The plain build's own tests of scoring, golden assessments first, on the compiled modules.
    done = subprocess.run([sys.executable, "-P", "-m", "pytest", "-p", "no:cacheprovider", "--import-mode=append",
                           "-q", "-x", *SCORING_TESTS], cwd=lone_copy, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def test_without_a_c_compiler_the_wheel_is_plain_python_and_the_build_says_so(lone_copy, tmp_path):
    # A copy of its own: setuptools would reuse what another build left in the copy's build/.
    source = tmp_path / "src"
    shutil.copytree(lone_copy, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    env = {**os.environ, "CC": "/bin/false"}  # a compiler that fails every file
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-v", "-w",
                            str(tmp_path), "."], cwd=source, env=env, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "matang build: compiling scoring failed" in built.stdout + built.stderr
    (found,) = tmp_path.glob("matang-*.whl")
    names = zipfile.ZipFile(found).namelist()
    assert not [n for n in names if n.endswith(".so")]
    site = tmp_path / "site"
    zipfile.ZipFile(found).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = str(site)
    where = subprocess.run([sys.executable, "-P", "-c", "import scoring; from scoring import assess; print(scoring.build())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0 and where.stdout.split() == ["python"], where.stderr[-2000:]


def test_the_compiled_modules_ask_isinstance_with_a_tuple_not_a_union():
    # Compiled, `isinstance(x, int | float)` builds the union on every call: 35 times slower than
    # the tuple (measured with mypyc 2.4), and these modules ask it on every answer.
    import ast

    unions = []
    for module in sorted(COMPILED):
        tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"
                    and len(node.args) == 2 and isinstance(node.args[1], ast.BinOp)):
                unions.append(f"{module}.py:{node.lineno}")
    assert not unions, unions


def test_the_scoring_benchmark_from_a_plain_install_measures_the_wheels_build_too(lone_copy):
    # Operators run the wheel's build, so `python -m benchmarks scoring` in a checkout measures
    # that one as well, in the same command: plain first, then compiled, each with its own floor.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "scoring", "--quick"], cwd=lone_copy, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    runs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"benchmark": "scoring"')]
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    assert [r["build"] for r in runs] == ["python", "mypyc" if compiler else "python"], done.stdout[-3000:]
    for figures in runs:
        assert figures["sessions"] == 1_000 and figures["assess_us_per_session"] > 0
        assert figures["floor_json_decode_per_s"] > 0 and figures["ratio_assess_to_json_floor"] > 0
    assert "on the compiled build a wheel and the Docker image install" in done.stdout
    # --installed keeps to the build installed here.
    only = subprocess.run([sys.executable, "-m", "benchmarks", "scoring", "--quick", "--installed"], cwd=lone_copy,
                          env=env, capture_output=True, text=True, timeout=900)
    assert only.returncode == 0, only.stderr[-2000:]
    assert [json.loads(line)["build"] for line in only.stdout.splitlines() if line.startswith("{")] == ["python"]
