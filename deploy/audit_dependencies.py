"""Audit the dependencies for known vulnerabilities, and say plainly what was audited, and against what.

Two sets are checked and reported apart:

- the **locked** set, ``requirements/lock.txt``: what production installs (the Docker image and
  ``deploy/install.sh``), every package pinned with hashes;
- the **tools** installed in the running environment that are not in the lock (test and dev tools:
  pytest, pip-audit, ruff …, and pip and setuptools themselves), as they are installed in CI.

Two sources of advisories, in this order:

1. a live vulnerability service through ``pip-audit`` (PyPI's, or OSV with ``--service osv``),
   when one answers;
2. otherwise an OSV database file (one JSON record a line, optionally gzipped), given by
   ``--database PATH`` or ``MATANG_ADVISORY_DB``, such as an offline copy of the PyPA advisory
   database. Matching follows the OSV schema: ``affected[].package`` of ecosystem PyPI, names
   normalised as PEP 503 says, ``ECOSYSTEM`` ranges of ``introduced`` / ``fixed`` /
   ``last_affected`` events compared with ``packaging``'s version rules, explicit ``versions``
   lists; withdrawn records are ignored.

Packages the live service could not check are checked against the file when one is given.

    python deploy/audit_dependencies.py                                  # live, else MATANG_ADVISORY_DB
    python deploy/audit_dependencies.py --database advisories.jsonl.gz   # live, else this file
    python deploy/audit_dependencies.py --offline --database FILE        # the file only
    python deploy/audit_dependencies.py --report audit.json              # judge a pip-audit report

Exit status: 0 every package audited and every known vulnerability either absent or explained
in ``deploy/audit-exceptions.yaml``; 1 a vulnerability that is not explained; 2 a usage error
(missing lock or database, unreadable report or exceptions file); 3 the audit could not be done
(packages left unaudited: no service answered and no database was given).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
EXCEPTIONS = ROOT / "deploy" / "audit-exceptions.yaml"

CLEAN, VULNERABLE, USAGE, NOT_AUDITED = 0, 1, 2, 3
#: A database older than this is said loudly (it may miss recent advisories), but is no failure.
STALE_AFTER_DAYS = 180


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
    """What an audit says: audited packages, findings, and packages it skipped (with why)."""

    audited: tuple[str, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]
    source: str = "the vulnerability service"


def parse_report(data: dict[str, Any], source: str = "the vulnerability service") -> Report:
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
    return Report(tuple(audited), tuple(findings), tuple(skipped), source)


# ---------------------------------------------------------------------------------------------
# What is installed: the lock and the tools
# ---------------------------------------------------------------------------------------------

def read_lock(path: Path) -> dict[str, str]:
    """``{normalised name: version}`` of every ``name==version`` pin in a requirements file."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line):
            pins[canonicalize_name(m[1])] = m[2]
    return pins


def installed_tools(locked: dict[str, str]) -> dict[str, str]:
    """``{normalised name: version}`` of the distributions in this environment that are not in the lock
    (the test and dev tools, pip and setuptools), leaving out Matang itself."""
    tools: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if not name:
            continue
        key = canonicalize_name(name)
        if key not in locked and key != "matang":
            tools[key] = dist.version
    return dict(sorted(tools.items()))


# ---------------------------------------------------------------------------------------------
# An OSV database file
# ---------------------------------------------------------------------------------------------

@dataclass
class AdvisoryDatabase:
    """OSV records of the PyPI ecosystem, indexed by normalised package name."""

    name: str
    records: int
    withdrawn: int
    snapshot: dt.date | None
    by_package: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = field(default_factory=dict)

    def describe(self) -> str:
        """How the database is named in the audit's lines: its name, date and size."""
        when = f" of {self.snapshot.isoformat()}" if self.snapshot else ""
        return f"{self.name}{when} ({self.records:,} records)"


def _records(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}: line {number} is not JSON ({exc.msg})") from exc


def _modified(record: dict[str, Any]) -> dt.datetime | None:
    text = str(record.get("modified", "")).replace(" ", "T").replace("Z", "+00:00")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def load_database(path: Path, now: dt.datetime | None = None) -> AdvisoryDatabase:
    """Read an OSV JSON-lines file (``.gz`` or plain). Its snapshot date is the latest ``modified``
    time of its records that is not in the future (a record or two carry mistyped future dates)."""
    now = now or dt.datetime.now(dt.UTC)
    name = "the PyPA advisory database" if "pypa" in path.name.lower() else f"the OSV database {path.name}"
    db = AdvisoryDatabase(name=name, records=0, withdrawn=0, snapshot=None)
    latest: dt.datetime | None = None
    for record in _records(path):
        db.records += 1
        when = _modified(record)
        if when and when <= now and (latest is None or when > latest):
            latest = when
        if record.get("withdrawn"):
            db.withdrawn += 1
            continue
        for affected in record.get("affected") or []:
            package = affected.get("package") or {}
            if package.get("ecosystem") == "PyPI" and package.get("name"):
                db.by_package.setdefault(canonicalize_name(package["name"]), []).append((record, affected))
    db.snapshot = latest.date() if latest else None
    return db


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _range_affects(events: list[dict[str, str]], version: Version) -> tuple[bool, list[str]]:
    """Whether one ECOSYSTEM range covers ``version``, and the range's fixed versions.

    The OSV evaluation: walk the events in version order; ``introduced`` opens the range,
    ``fixed`` closes it before that version, ``last_affected`` closes it after that version.
    """
    keyed = []
    for event in events:
        for kind, text in event.items():
            if kind not in ("introduced", "fixed", "last_affected", "limit"):
                continue
            point = Version("0") if kind == "introduced" and text == "0" else _version(str(text))
            if point is not None:
                keyed.append((point, kind))
    fixed = [str(point) for point, kind in keyed if kind == "fixed"]
    affected = False
    for point, kind in sorted(keyed, key=lambda pair: pair[0]):
        if kind == "introduced" and point <= version:
            affected = True
        elif (kind in ("fixed", "limit") and point <= version) or (kind == "last_affected" and point < version):
            affected = False
    return affected, fixed


def match(db: AdvisoryDatabase, package: str, version_text: str) -> list[Finding]:
    """The known vulnerabilities of one installed version, from the database's records."""
    version = _version(version_text)
    found: dict[str, Finding] = {}
    for record, affected in db.by_package.get(canonicalize_name(package), []):
        hit = version_text in (affected.get("versions") or [])
        fixes: list[str] = []
        if version is not None:
            for rng in affected.get("ranges") or []:
                if rng.get("type") != "ECOSYSTEM":
                    continue  # GIT ranges name commits, not releases
                covers, fixed = _range_affects(rng.get("events") or [], version)
                hit = hit or covers
                fixes += [f for f in fixed if _version(f) and _version(f) > version]
        if not hit:
            continue
        first_fix = sorted(set(fixes), key=Version)[:1]
        rid = str(record.get("id", "?"))
        found[rid] = Finding(package, version_text, rid, tuple(record.get("aliases") or ()), tuple(first_fix))
    return list(found.values())


def audit_with_database(pins: dict[str, str], db: AdvisoryDatabase) -> Report:
    """Audit ``{name: version}`` against a loaded OSV database."""
    findings = [f for name, version in pins.items() for f in match(db, name, version)]
    return Report(tuple(f"{n}=={v}" for n, v in pins.items()), tuple(findings), (), db.describe())


# ---------------------------------------------------------------------------------------------
# A live service, through pip-audit
# ---------------------------------------------------------------------------------------------

def run_pip_audit(pins: dict[str, str], service: str) -> dict[str, Any]:
    """Run pip-audit on ``name==version`` pins, without resolving or installing anything."""
    with tempfile.TemporaryDirectory() as tmp:
        req, out = Path(tmp) / "pins.txt", Path(tmp) / "audit.json"
        req.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()), encoding="utf-8")
        cmd = [sys.executable, "-m", "pip_audit", "--requirement", str(req), "--no-deps",
               "--disable-pip", "--vulnerability-service", service, "--format", "json",
               "--progress-spinner", "off", "--output", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        # pip-audit exits 1 when it finds something; anything without a report is a real failure.
        if not out.exists() or not out.read_text().strip():
            raise RuntimeError(f"pip-audit failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
        return json.loads(out.read_text())


def audit_live(pins: dict[str, str], service: str) -> Report:
    """Ask a live vulnerability service; every package counts as skipped when none answers."""
    source = {"pypi": "PyPI's vulnerability service", "osv": "the OSV service"}[service]
    if not pins:
        return Report((), (), (), source)
    try:
        return parse_report(run_pip_audit(pins, service), source)
    except (RuntimeError, OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        why = str(exc).splitlines()[0][:200]
        return Report((), (), tuple(f"{n}: {why}" for n in pins), source)


def _skipped_name(line: str) -> str:
    return canonicalize_name(line.split(":", 1)[0])


def audit(pins: dict[str, str], service: str, db: AdvisoryDatabase | None, offline: bool) -> Report:
    """The live service first; what it could not check, against the database when there is one."""
    if offline:
        if db is None:
            raise ValueError("--offline needs an advisory database (--database PATH or MATANG_ADVISORY_DB)")
        return audit_with_database(pins, db)
    live = audit_live(pins, service)
    if not live.skipped or db is None:
        return live
    rest = {n: v for n, v in pins.items() if canonicalize_name(n) in {_skipped_name(s) for s in live.skipped}}
    offline_part = audit_with_database(rest, db)
    source = db.describe() if not live.audited else f"{live.source} and {db.describe()}"
    return Report(live.audited + offline_part.audited, live.findings + offline_part.findings, (), source)


# ---------------------------------------------------------------------------------------------
# The verdict
# ---------------------------------------------------------------------------------------------

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


def judge(report: Report, accepted: dict[str, str], what: str = "packages") -> tuple[int, list[str]]:
    """The exit status and the lines to print for one audited set, given the accepted vulnerabilities.

    ``what`` names the set in the summary line ("locked packages", "installed tools").
    """
    lines: list[str] = []
    unexplained = []
    for finding in report.findings:
        reason = next((accepted[n] for n in sorted(finding.names()) if n in accepted), None)
        if reason is None:
            unexplained.append(finding)
            lines.append(f"VULNERABLE {finding.line()}")
        else:
            lines.append(f"accepted   {finding.line()} — {reason}")
    if report.skipped:
        lines.append(f"NOT AUDITED: {len(report.skipped)} of {len(report.skipped) + len(report.audited)} {what} "
                     "could not be checked (is a vulnerability database reachable from here?)")
        lines.extend(f"  {s}" for s in report.skipped[:5])
        if len(report.skipped) > 5:
            lines.append(f"  … and {len(report.skipped) - 5} more")
    if unexplained:
        lines.append(f"{len(unexplained)} known vulnerabilit{'y' if len(unexplained) == 1 else 'ies'} of the "
                     f"{what} not explained in deploy/audit-exceptions.yaml: upgrade it (a locked package with "
                     "pip-compile --upgrade-package NAME, a tool with pip install --upgrade NAME) or explain it")
        return VULNERABLE, lines
    if report.skipped:
        return NOT_AUDITED, lines
    apart = f" apart from {len(report.findings)} explained" if report.findings else ""
    lines.append(f"{len(report.audited)} {what} audited: no known vulnerability{apart} in {report.source}")
    return CLEAN, lines


def stale_note(db: AdvisoryDatabase, today: dt.date) -> str | None:
    """A loud line when the database is older than :data:`STALE_AFTER_DAYS` (or has no date)."""
    if db.snapshot is None:
        return f"WARNING: {db.name} carries no dates; it may be old and miss recent advisories"
    age = (today - db.snapshot).days
    if age > STALE_AFTER_DAYS:
        return (f"WARNING: {db.describe()} is {age} days old (more than {STALE_AFTER_DAYS}); "
                "advisories published since are not checked: get a newer copy")
    return None


def combine(statuses: Iterable[int]) -> int:
    """One exit status for several audited sets: a vulnerability beats not-audited beats clean."""
    statuses = list(statuses)
    for status in (VULNERABLE, NOT_AUDITED):
        if status in statuses:
            return status
    return CLEAN


def audit_sets(args: argparse.Namespace) -> tuple[list[tuple[str, Report]], AdvisoryDatabase | None]:
    """The audited sets (the lock, then the tools unless ``--no-tools``) and the database used."""
    if not args.lock.exists():
        raise FileNotFoundError(f"no lock file at {args.lock}")
    db = None
    if args.database is not None:
        if not args.database.exists():
            raise FileNotFoundError(f"no advisory database at {args.database}")
        db = load_database(args.database)
    locked = read_lock(args.lock)
    sets = [("locked packages", locked)]
    if not args.no_tools:
        sets.append(("installed tools (test and dev, not deployed)", installed_tools(locked)))
    return [(what, audit(pins, args.service, db, args.offline)) for what, pins in sets], db


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status described in the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=LOCK, help="hashed requirements file to audit")
    parser.add_argument("--exceptions", type=Path, default=EXCEPTIONS, help="accepted vulnerabilities (YAML)")
    parser.add_argument("--report", type=Path, help="judge this pip-audit JSON report instead of auditing")
    parser.add_argument("--service", choices=["pypi", "osv"], default=os.environ.get("MATANG_AUDIT_SERVICE", "pypi"),
                        help="live vulnerability service pip-audit asks (default pypi)")
    parser.add_argument("--database", type=Path, default=os.environ.get("MATANG_ADVISORY_DB") or None,
                        help="OSV database file (JSON lines, .gz allowed) used when no live service answers "
                             "(default: $MATANG_ADVISORY_DB)")
    parser.add_argument("--offline", action="store_true", help="do not ask a live service; use --database only")
    parser.add_argument("--no-tools", action="store_true",
                        help="audit the lock only, not the tools installed in this environment")
    args = parser.parse_args(argv)
    try:
        accepted = load_exceptions(args.exceptions)
        if args.report:
            data = json.loads(args.report.read_text(encoding="utf-8"))
            reports = [("packages", parse_report(data))]
            db = None
        else:
            reports, db = audit_sets(args)
    except (OSError, ValueError, RuntimeError, subprocess.SubprocessError, yaml.YAMLError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return USAGE
    statuses = []
    for what, report in reports:
        status, lines = judge(report, accepted, what)
        statuses.append(status)
        print("\n".join(lines))
    used = {n for _w, r in reports for f in r.findings for n in f.names()}
    for stale in sorted(set(accepted) - used):
        print(f"note: exception {stale} matches nothing any more; remove it")
    if db is not None and (note := stale_note(db, dt.date.today())):
        print(note)
    return combine(statuses)


if __name__ == "__main__":
    sys.exit(main())
