"""The dependency audit: the lock file agrees with pyproject.toml and is fully hashed, and
``deploy/audit_dependencies.py`` passes only an audit that really checked every package."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

SCRIPT = ROOT / "deploy" / "audit_dependencies.py"
LOCK = ROOT / "requirements" / "lock.txt"


def locked() -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} from the lock file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in LOCK.read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", line):
            current = canonicalize_name(m[1])
            pins[current] = (m[2], 0)
        elif current and "--hash=sha256:" in line:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def test_every_runtime_dependency_is_pinned_in_range_with_hashes():
    pins = locked()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert pins, "empty lock"
    for spec in deps:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements/lock.txt"
        assert req.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} outside {req.specifier}"
    unhashed = [name for name, (_v, hashes) in pins.items() if hashes == 0]
    assert not unhashed, f"pins without hashes: {unhashed}"


def test_the_docker_image_installs_from_the_hashed_lock():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/lock.txt" in dockerfile
    assert "--no-deps ." in dockerfile


def audit(tmp_path: Path, report: dict, exceptions: str | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "report.json").write_text(json.dumps(report))
    args = [sys.executable, str(SCRIPT), "--report", str(tmp_path / "report.json")]
    exc_file = tmp_path / "exceptions.yaml"
    if exceptions is not None:
        exc_file.write_text(exceptions)
    args += ["--exceptions", str(exc_file)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


VULNERABLE = {"dependencies": [
    {"name": "click", "version": "8.5.1", "vulns": []},
    {"name": "jinja2", "version": "2.11.0", "vulns": [
        {"id": "PYSEC-2021-66", "fix_versions": ["2.11.3"], "aliases": ["CVE-2020-28493", "GHSA-g3rq-g295-4j3m"],
         "description": "ReDoS in urlize"}]},
], "fixes": []}


def test_a_clean_report_passes_and_says_how_many_were_audited(tmp_path):
    done = audit(tmp_path, {"dependencies": [{"name": "click", "version": "8.5.1", "vulns": []},
                                             {"name": "pyyaml", "version": "6.0.3", "vulns": []}]})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 packages audited: no known vulnerability" in done.stdout


def test_an_unexplained_vulnerability_fails_and_names_the_fix(tmp_path):
    done = audit(tmp_path, VULNERABLE)
    assert done.returncode == 1
    assert "VULNERABLE jinja2 2.11.0: PYSEC-2021-66 (CVE-2020-28493, GHSA-g3rq-g295-4j3m), fixed in 2.11.3" in done.stdout


def test_a_vulnerability_explained_under_any_alias_passes_with_its_reason(tmp_path):
    done = audit(tmp_path, VULNERABLE, "- id: CVE-2020-28493\n  package: jinja2\n  reason: urlize is never called\n"
                                       "- id: GHSA-0000-0000-0000\n  package: gone\n  reason: fixed long ago\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accepted   jinja2 2.11.0: PYSEC-2021-66" in done.stdout and "urlize is never called" in done.stdout
    assert "exception GHSA-0000-0000-0000 matches nothing" in done.stdout
    assert "2 packages audited: no known vulnerability apart from 1 explained" in done.stdout


def test_an_exception_without_a_reason_is_refused(tmp_path):
    done = audit(tmp_path, VULNERABLE, "- id: CVE-2020-28493\n  package: jinja2\n")
    assert done.returncode == 2
    assert "needs an id and a reason" in done.stderr


def test_an_audit_that_could_not_check_packages_is_not_a_pass(tmp_path):
    # What pip-audit writes when its vulnerability service cannot be reached (it still exits 0).
    report = {"dependencies": [{"name": "click", "skip_reason":
                                "Dependency not found on PyPI and could not be audited: click (8.5.1)"},
                               {"name": "pyyaml", "version": "6.0.3", "vulns": []}], "fixes": []}
    done = audit(tmp_path, report)
    assert done.returncode == 3
    assert "NOT AUDITED: 1 of 2 packages could not be checked" in done.stdout
    assert "no known vulnerability" not in done.stdout


@pytest.mark.skipif(importlib.util.find_spec("pip_audit") is None, reason="pip-audit not installed")
def test_the_real_pip_audit_runs_on_the_lock_and_gets_a_definite_verdict(tmp_path):
    # Whatever the network, the verdict is one of the three honest ones, each with its own words.
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=900)
    said = {0: "packages audited: no known vulnerability", 1: "VULNERABLE", 3: "NOT AUDITED"}
    assert done.returncode in said, done.stdout + done.stderr
    assert said[done.returncode] in done.stdout
    assert f"of {len(locked())} packages" in done.stdout or done.returncode != 3
