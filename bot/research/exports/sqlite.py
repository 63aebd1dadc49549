"""``sqlite``: the pseudonymised analysis database (see :mod:`bot.research.analysis`).

One SQLite file with studies, sessions, answers (labels in both languages and the chosen one),
criterion ratings, organisation assessments, themes and events; what ``matang dashboard`` serves.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.research.exports.base import ExportError, ExportResult, Job


def write(job: Job, out: Path) -> ExportResult:
    """Write the analysis database of the job's study to ``out``."""
    return write_studies(job.store, [job.study.code], out, job.lang or "id", identify=job.identify)


def write_studies(store: object, codes: list[str], out: Path, lang: str = "id", identify: bool = False) -> ExportResult:
    """Write the analysis database of several studies to ``out``, replacing the file whole."""
    from bot.research.analysis import write_analysis_db

    if identify:
        raise ExportError("--identify: the analysis database is always pseudonymous; use xlsx or csv for identities")
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built under a temporary name beside the target and moved into place, so a failed export
    # leaves no half-written database and a reader of the old file never sees a mix.
    part = out.with_name(f".{out.name}.part")
    leftovers = (part, Path(f"{part}-wal"), Path(f"{part}-shm"))
    try:
        for p in leftovers:
            p.unlink(missing_ok=True)
        part.touch(mode=0o600)
        counts = write_analysis_db(store, codes, part, lang)  # type: ignore[arg-type]
        conn = sqlite3.connect(str(part))
        conn.execute("pragma journal_mode = delete")  # one self-contained file to hand on
        conn.close()
        part.replace(out)
    finally:
        for p in leftovers:
            p.unlink(missing_ok=True)
    result = ExportResult("sqlite", [out], sessions=counts["sessions"], rows=counts["answers"], unit="answer row")
    result.note = "tables: " + ", ".join(f"{t} {n}" for t, n in counts.items() if n)
    return result
