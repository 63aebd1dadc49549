"""Audit the locked dependency set for known vulnerabilities, and say plainly what was audited.

``pip-audit`` checks each pinned package of ``requirements/lock.txt`` against a vulnerability
database (PyPI's, or OSV with ``--service osv``). On its own it prints "No known
vulnerabilities found" and exits 0 even when it could not reach the database and audited
nothing; this script reads its JSON report instead and refuses to call that a pass.

    python deploy/audit_dependencies.py                       # run pip-audit on the lock
    python deploy/audit_dependencies.py --report audit.json   # judge a report made elsewhere

Exit status: 0 every package audited and every known vulnerability either absent or explained
in ``deploy/audit-exceptions.yaml``; 1 a vulnerability that is not explained; 2 a usage error
(missing lock, unreadable report or exceptions file); 3 the audit could not be done (packages
left unaudited, usually because no vulnerability database can be reached).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
EXCEPTIONS = ROOT / "deploy" / "audit-exceptions.yaml"

CLEAN, VULNERABLE, USAGE, NOT_AUDITED = 0, 1, 2, 3


@dataclass(frozen=True)
class Finding:
    """One known vulnerability of one pinned package."""

    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]

    def names(self) -> set[str]:
        """Every identifier this finding goes by (PYSEC, GHSA, CVE …)."""
        return {self.id, *self.aliases}

    def line(self) -> str:
        """One line for the log: package, version, id and where it is fixed."""
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fixed release yet"
        also = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return f"{self.package} {self.version}: {self.id}{also}, {fix}"


@dataclass(frozen=True)
class Report:
    """What a pip-audit JSON report says: audited packages, findings, and packages it skipped."""

    audited: tuple[str, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]


def parse_report(data: dict[str, Any]) -> Report:
    """Read pip-audit's ``--format json`` output (``{"dependencies": [...], "fixes": [...]}``)."""
    audited, findings, skipped = [], [], []
    for dep in data.get("dependencies", []):
        name = str(dep.get("name", "?"))
        if "skip_reason" in dep:
            skipped.append(f"{name}: {dep['skip_reason']}")
            continue
        audited.append(f"{name}=={dep.get('version', '?')}")
        for vuln in dep.get("vulns", []):
            findings.append(Finding(name, str(dep.get("version", "?")), str(vuln.get("id", "?")),
                                    tuple(vuln.get("aliases") or ()), tuple(vuln.get("fix_versions") or ())))
    return Report(tuple(audited), tuple(findings), tuple(skipped))


def load_exceptions(path: Path) -> dict[str, str]:
    """Accepted vulnerabilities: ``{id: reason}`` from a YAML list of ``{id, package, reason}``.

    Every entry must give a reason, because the exceptions file is the explanation the audit
    asks for; an entry without one is a usage error, not a silent pass.
    """
    if not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of {{id, package, reason}} entries")
    accepted = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: entry {i + 1} needs an id and a reason")
        accepted[str(entry["id"])] = str(entry["reason"]).strip()
    return accepted


def judge(report: Report, accepted: dict[str, str]) -> tuple[int, list[str]]:
    """The exit status and the lines to print for a report, given the accepted vulnerabilities."""
    lines: list[str] = []
    unexplained = []
    for finding in report.findings:
        reason = next((accepted[n] for n in sorted(finding.names()) if n in accepted), None)
        if reason is None:
            unexplained.append(finding)
            lines.append(f"VULNERABLE {finding.line()}")
        else:
            lines.append(f"accepted   {finding.line()} — {reason}")
    used = {n for f in report.findings for n in f.names()}
    for stale in sorted(set(accepted) - used):
        lines.append(f"note: exception {stale} matches nothing in the lock any more; remove it")
    if report.skipped:
        lines.append(f"NOT AUDITED: {len(report.skipped)} of {len(report.skipped) + len(report.audited)} packages "
                     "could not be checked (is a vulnerability database reachable from here?)")
        lines.extend(f"  {s}" for s in report.skipped[:5])
        if len(report.skipped) > 5:
            lines.append(f"  … and {len(report.skipped) - 5} more")
    if unexplained:
        lines.append(f"{len(unexplained)} known vulnerabilit{'y' if len(unexplained) == 1 else 'ies'} not explained "
                     "in deploy/audit-exceptions.yaml: upgrade the package (pip-compile --upgrade-package) or explain it")
        return VULNERABLE, lines
    if report.skipped:
        return NOT_AUDITED, lines
    lines.append(f"{len(report.audited)} packages audited: no known vulnerability"
                 + (f" apart from {len(report.findings)} explained" if report.findings else ""))
    return CLEAN, lines


def run_pip_audit(lock: Path, service: str) -> dict[str, Any]:
    """Run pip-audit on the hashed lock file, without resolving or installing anything."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "--requirement", str(lock), "--require-hashes",
               "--disable-pip", "--vulnerability-service", service, "--format", "json",
               "--progress-spinner", "off", "--output", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        # pip-audit exits 1 when it finds something; anything without a report is a real failure.
        if not out.exists() or not out.read_text().strip():
            raise RuntimeError(f"pip-audit failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status described in the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK, help="hashed requirements file to audit")
    parser.add_argument("--exceptions", type=Path, default=EXCEPTIONS, help="accepted vulnerabilities (YAML)")
    parser.add_argument("--report", type=Path, help="judge this pip-audit JSON report instead of running pip-audit")
    parser.add_argument("--service", choices=["pypi", "osv"], default=os.environ.get("MATANG_AUDIT_SERVICE", "pypi"),
                        help="vulnerability database pip-audit asks (default pypi)")
    args = parser.parse_args(argv)
    try:
        accepted = load_exceptions(args.exceptions)
        if args.report:
            data = json.loads(args.report.read_text(encoding="utf-8"))
        else:
            if not args.lock.exists():
                raise FileNotFoundError(f"no lock file at {args.lock}")
            data = run_pip_audit(args.lock, args.service)
        report = parse_report(data)
    except (OSError, ValueError, RuntimeError, subprocess.SubprocessError, yaml.YAMLError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return USAGE
    status, lines = judge(report, accepted)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
