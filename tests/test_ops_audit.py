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
    assert f"of {len(locked())} locked packages" in done.stdout or done.returncode != 3


# --- The audit against an OSV database file (what CI uses when no live service answers) --------

def osv(id_: str, package: str, *, ranges=None, versions=None, aliases=(), withdrawn=None,
        modified="2026-07-01T00:00:00Z") -> dict:
    """One OSV record of the PyPI ecosystem, as the PyPA advisory database writes them."""
    affected = {"package": {"ecosystem": "PyPI", "name": package}}
    if ranges is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events} for events in ranges]
    if versions is not None:
        affected["versions"] = versions
    record = {"id": id_, "aliases": list(aliases), "modified": modified, "affected": [affected]}
    if withdrawn:
        record["withdrawn"] = withdrawn
    return record


def offline_audit(tmp_path: Path, pins: dict[str, str], records: list[dict], exceptions: str = "[]",
                  gz: bool = True, tools: bool = False) -> subprocess.CompletedProcess:
    lock = tmp_path / "lock.txt"
    lock.write_text("".join(f"{name}=={version} \\\n    --hash=sha256:{'0' * 64}\n" for name, version in pins.items()))
    lines = "".join(json.dumps(r) + "\n" for r in records)
    db = tmp_path / ("pypa-advisories.jsonl.gz" if gz else "osv.jsonl")
    if gz:
        import gzip
        db.write_bytes(gzip.compress(lines.encode()))
    else:
        db.write_text(lines)
    (tmp_path / "exceptions.yaml").write_text(exceptions)
    args = [sys.executable, str(SCRIPT), "--offline", "--lock", str(lock), "--database", str(db),
            "--exceptions", str(tmp_path / "exceptions.yaml")]
    if not tools:
        args.append("--no-tools")
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


RANGE = [[{"introduced": "0"}, {"fixed": "2.11.3"}]]


def test_a_version_inside_an_ecosystem_range_is_a_hit_with_its_first_fixed_release(tmp_path):
    done = offline_audit(tmp_path, {"Jinja2": "2.11.0", "click": "8.1.0"}, [
        osv("PYSEC-2021-66", "jinja2", ranges=[[{"introduced": "0"}, {"fixed": "2.11.3"}],
                                               [{"introduced": "3.0.0"}, {"fixed": "3.1.5"}]],
            aliases=["CVE-2020-28493", "GHSA-g3rq-g295-4j3m"])])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "VULNERABLE jinja2 2.11.0: PYSEC-2021-66 (CVE-2020-28493, GHSA-g3rq-g295-4j3m), fixed in 2.11.3" in done.stdout
    assert "1 known vulnerability of the locked packages not explained" in done.stdout


def test_a_version_at_or_past_the_fix_is_clean_and_the_line_names_the_database(tmp_path):
    done = offline_audit(tmp_path, {"jinja2": "2.11.3", "click": "8.1.0"},
                         [osv("PYSEC-2021-66", "jinja2", ranges=RANGE), osv("PYSEC-1", "other", ranges=RANGE)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("2 locked packages audited: no known vulnerability in the PyPA advisory database of 2026-07-01 "
            "(2 records)") in done.stdout


def test_last_affected_includes_that_version_and_nothing_after_it(tmp_path):
    record = osv("GHSA-aaaa-bbbb-cccc", "tornado", ranges=[[{"introduced": "6.0"}, {"last_affected": "6.4.1"}]])
    assert offline_audit(tmp_path, {"tornado": "6.4.1"}, [record]).returncode == 1
    assert offline_audit(tmp_path, {"tornado": "6.4.2"}, [record]).returncode == 0
    assert offline_audit(tmp_path, {"tornado": "5.9"}, [record]).returncode == 0


def test_an_explicit_version_list_is_a_hit_without_any_range(tmp_path):
    record = osv("PYSEC-2022-1", "fpdf2", versions=["2.7.0", "2.7.1"])
    hit = offline_audit(tmp_path, {"fpdf2": "2.7.1"}, [record], gz=False)
    assert hit.returncode == 1 and "VULNERABLE fpdf2 2.7.1: PYSEC-2022-1, no fixed release yet" in hit.stdout
    assert offline_audit(tmp_path, {"fpdf2": "2.7.2"}, [record], gz=False).returncode == 0


def test_a_withdrawn_record_is_ignored_but_counted(tmp_path):
    done = offline_audit(tmp_path, {"pyyaml": "5.3"},
                         [osv("PYSEC-2020-96", "pyyaml", ranges=RANGE, withdrawn="2024-01-01T00:00:00Z")])
    assert done.returncode == 0, done.stdout
    assert "(1 records)" in done.stdout


@pytest.mark.parametrize(("locked_as", "advised_as"), [("PyYAML", "pyyaml"), ("pyyaml", "PyYAML"),
                                                       ("typing_extensions", "typing-extensions"),
                                                       ("typing-extensions", "Typing.Extensions")])
def test_package_names_match_as_pep_503_normalises_them(tmp_path, locked_as, advised_as):
    done = offline_audit(tmp_path, {locked_as: "1.0"}, [osv("PYSEC-9", advised_as, ranges=[[{"introduced": "0"},
                                                                                           {"fixed": "2.0"}]])])
    assert done.returncode == 1, done.stdout
    assert f"VULNERABLE {canonicalize_name(locked_as)} 1.0: PYSEC-9" in done.stdout


def test_an_explained_hit_passes_with_its_reason_and_an_unused_exception_is_noted(tmp_path):
    done = offline_audit(tmp_path, {"jinja2": "2.11.0"},
                         [osv("PYSEC-2021-66", "jinja2", ranges=RANGE, aliases=["CVE-2020-28493"])],
                         "- id: CVE-2020-28493\n  package: jinja2\n  reason: urlize is never called\n"
                         "- id: GHSA-0000-0000-0000\n  package: gone\n  reason: fixed long ago\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accepted   jinja2 2.11.0: PYSEC-2021-66 (CVE-2020-28493), fixed in 2.11.3 — urlize is never called" in done.stdout
    assert "exception GHSA-0000-0000-0000 matches nothing" in done.stdout


def test_an_old_database_is_said_loudly_but_is_no_failure(tmp_path):
    done = offline_audit(tmp_path, {"click": "8.1.0"}, [osv("PYSEC-1", "other", ranges=RANGE,
                                                          modified="2020-01-02T00:00:00Z")])
    assert done.returncode == 0
    assert "WARNING: the PyPA advisory database of 2020-01-02 (1 records) is" in done.stdout
    assert "days old (more than 180)" in done.stdout


def test_the_snapshot_date_ignores_records_dated_in_the_future(tmp_path):
    done = offline_audit(tmp_path, {"click": "8.1.0"}, [osv("A", "x", ranges=RANGE, modified="2026-07-23T14:34:38Z"),
                                                        osv("B", "y", ranges=RANGE, modified="2099-07-09T15:45:00Z")])
    assert "database of 2026-07-23 (2 records)" in done.stdout


def test_the_installed_tools_are_audited_and_reported_apart_from_the_lock(tmp_path):
    import pytest as installed_pytest
    done = offline_audit(tmp_path, {"click": "8.1.0"}, [
        osv("GHSA-test-only", "pytest", versions=[installed_pytest.__version__])], tools=True)
    assert done.returncode == 1, done.stdout
    assert "1 locked packages audited: no known vulnerability" in done.stdout
    assert f"VULNERABLE pytest {installed_pytest.__version__}: GHSA-test-only" in done.stdout
    assert "of the installed tools (test and dev, not deployed) not explained" in done.stdout


def test_a_missing_database_is_a_usage_error(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--offline", "--database", str(tmp_path / "none.jsonl.gz")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no advisory database at" in done.stderr


def test_without_a_live_service_the_database_answers(tmp_path):
    # Live first: where no service answers (as on these machines), the file gives the verdict;
    # where one does, the service does. Either way every package gets a definite verdict.
    db = tmp_path / "pypa-advisories.jsonl"
    db.write_text(json.dumps(osv("PYSEC-1", "nothing-we-use", ranges=RANGE)) + "\n")
    done = subprocess.run([sys.executable, str(SCRIPT), "--no-tools", "--database", str(db)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "NOT AUDITED" not in done.stdout
    assert f"{len(locked())} locked packages audited" in done.stdout or "VULNERABLE" in done.stdout
