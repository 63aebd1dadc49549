"""Exports: 100,000 sessions (about 3 million answers) to CSV and JSON lines — time and peak memory.

The database is built directly (``executemany`` in large transactions) with the real schema and
realistic rows: answers of the real flow, the event log an interview leaves (consent, state
changes, one event per answer), and the stored assessment of every finished session. It holds two
studies, one ten times larger than the other, so the figures show how time and memory scale.

Each export runs in a fresh child process that reports its own wall time, its own CPU time
(``time.process_time``: what the export cost, whatever else the machine is doing) and peak RSS
(the kernel's high-water mark, reset just before the export; ``resource.getrusage`` where it
cannot be reset), minus the RSS it had just before exporting (interpreter, imports, open
database). The floor is the least any export does: a bare ``SELECT`` of the same rows (answers
for CSV, events for JSON lines) written with ``csv.writer``.

On a shared machine one timing swings with the load, so every export and its floor run
``REPEATS`` times, interleaved (floor, export, floor, export…), and the ratio is taken between
the least CPU time of each: the load then lands on both alike, and the least is the run the
machine disturbed least. The median wall time is printed beside it.

Run: ``python -m benchmarks exports [--quick] [--repeat N]`` (quick: 5,000 sessions; N: 3).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SESSIONS = 100_000
QUICK_SESSIONS = 5_000
ANSWERS_PER_SESSION = 30
TEMPLATES = 200
CHUNK = 5_000
SEED = 20260523
KINDS = ("floor-csv", "csv", "floor-jsonl", "jsonl")
REPEATS = 3


# -- building the database -----------------------------------------------------------------------


def _templates(flow: Any, n: int) -> list[tuple[list[tuple[str, str]], str]]:
    """``n`` answer sets of the real flow (first 30 answers each, as JSON) and their assessments."""
    from benchmarks.scoring import make_sessions
    from scoring.assessment import assess

    out = []
    for answers in make_sessions(flow, n, SEED):
        kept = dict(list(answers.items())[:ANSWERS_PER_SESSION])
        encoded = [(qid, json.dumps(v, ensure_ascii=False, separators=(",", ":"))) for qid, v in kept.items()]
        assessment = json.dumps(assess(flow, kept).to_dict(), ensure_ascii=False, separators=(",", ":"))
        out.append((encoded, assessment))
    return out


def build(db: Path, sessions: int) -> dict[str, Any]:
    """Fill ``db`` with a study of ``sessions`` sessions and one of a tenth of that; return the codes."""
    from bot.research.pseudonyms import Pseudonyms
    from bot.research.studies import create_study
    from bot.store import Store
    from interview_flows.loader import DEFAULT_FLOW_ID, load_flow

    store = Store.open(db)
    flow = load_flow(DEFAULT_FLOW_ID)
    big = create_study(store, "Benchmark: large", code="bench-large")
    small = create_study(store, "Benchmark: small", code="bench-small")
    Pseudonyms(store)  # make the installation key now, not inside a timed export
    templates = _templates(flow, TEMPLATES)
    rng = random.Random(SEED)
    conn = store.db.conn
    conn.execute("PRAGMA synchronous = OFF")
    start = datetime(2025, 3, 1, tzinfo=UTC)
    counts = {"sessions": 0, "answers": 0, "events": 0}
    started = time.perf_counter()
    sid = rid = eid = 0
    plan = [(small.code, sessions // 10), (big.code, sessions)]
    for code, n in plan:
        done = 0
        while done < n:
            chunk = min(CHUNK, n - done)
            respondents, rows, answers, events = [], [], [], []
            for _ in range(chunk):
                sid += 1
                rid += 1
                encoded, assessment = templates[rng.randrange(len(templates))]
                roll = rng.random()
                state = "finished" if roll < 0.85 else "paused" if roll < 0.95 else "withdrawn"
                if state != "finished":
                    encoded = encoded[: rng.randrange(3, ANSWERS_PER_SESSION)]
                t0 = start + timedelta(seconds=sid * 37)
                stamp = t0.isoformat(timespec="milliseconds")
                end = (t0 + timedelta(minutes=12 + sid % 20)).isoformat(timespec="milliseconds")
                respondents.append((rid, "telegram", str(100_000_000 + rid), "id", stamp))
                rows.append(
                    (
                        sid,
                        rid,
                        code,
                        flow.id,
                        flow.version,
                        "id",
                        state,
                        "[]",
                        "[]",
                        "telegram",
                        100_000_000 + rid,
                        stamp,
                        end,
                        end if state == "finished" else None,
                        assessment if state == "finished" else None,
                    )
                )
                eid += 1
                events.append((eid, sid, stamp, "consent", None, None, '"given"', None))
                eid += 1
                events.append((eid, sid, stamp, "state", None, None, '"asking"', None))
                for qid, value in encoded:
                    answers.append((sid, qid, value, stamp, stamp, 0))
                    eid += 1
                    events.append((eid, sid, stamp, "answer", qid, None, value, None))
                if state != "paused":
                    eid += 1
                    events.append((eid, sid, end, "state", None, '"asking"', json.dumps(state), None))
            with store.db.atomic():
                conn.executemany(
                    "insert into respondents (id, channel, external_id, lang, created_at) values (?, ?, ?, ?, ?)",
                    respondents,
                )
                conn.executemany(
                    "insert into sessions (id, respondent_id, study_code, flow_id, flow_version, lang, state,"
                    " skipped, draft, channel, chat_id, started_at, updated_at, finished_at, assessment)"
                    " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                conn.executemany(
                    "insert into answers (session_id, question_id, value, first_answered_at, answered_at,"
                    " times_changed) values (?, ?, ?, ?, ?, ?)",
                    answers,
                )
                conn.executemany(
                    "insert into events (id, session_id, at, kind, question_id, old_value, new_value, detail)"
                    " values (?, ?, ?, ?, ?, ?, ?, ?)",
                    events,
                )
            counts["sessions"] += chunk
            counts["answers"] += len(answers)
            counts["events"] += len(events)
            done += chunk
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {
        "build_seconds": round(time.perf_counter() - started, 1),
        "db_mb": round(db.stat().st_size / 1e6),
        "large": big.code,
        "small": small.code,
        **counts,
    }


# -- one measured export, in a child process --------------------------------------------------------


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (Linux), so the peak is the export's alone."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_kb() -> int:
    """The peak RSS since the last reset (VmHWM), else since the process started (ru_maxrss)."""
    found = _status_kb("VmHWM")
    if found is not None:
        return found
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # kilobytes on Linux


def child(kind: str, db: str, code: str, out: str) -> dict[str, Any]:
    """Run one export (or floor) and measure it; the parent starts a process for each."""
    import csv

    from bot.research.exports import export_study
    from bot.store import Store

    store = Store.open(db)
    # Warm the imports the export needs, so the baseline holds them and the delta is the export's.
    import bot.research.exports.csv_long  # noqa: F401
    import bot.research.exports.jsonl  # noqa: F401
    import interview_flows.engine  # noqa: F401
    from interview_flows.loader import DEFAULT_FLOW_ID, load_flow

    load_flow(DEFAULT_FLOW_ID)
    reset = _reset_peak()
    base = _status_kb("VmRSS") if reset else _peak_kb()
    base = base or 0
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    if kind in ("csv", "jsonl", "sqlite", "csv-wide", "xlsx"):  # the last three: measured by hand (docs)
        result = export_study(store, code, kind, Path(out))
        rows = result.rows
    else:
        table = "answers a on a.session_id = s.id" if kind == "floor-csv" else "events e on e.session_id = s.id"
        columns = (
            "s.id, a.question_id, a.value, a.answered_at, a.times_changed, s.state"
            if kind == "floor-csv"
            else "s.id, e.id, e.at, e.kind, e.question_id, e.old_value, e.new_value, e.detail"
        )
        order = "s.id" if kind == "floor-csv" else "s.id, e.id"
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            for row in store.db.conn.execute(
                f"select {columns} from sessions s join {table} where s.study_code = ? order by {order}", [code]
            ):
                writer.writerow(row)
                rows += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "rows": rows,
        "peak_rss_mb": round(_peak_kb() / 1024, 1),
        "export_rss_mb": round((_peak_kb() - base) / 1024, 1),
        "rss_before_mb": round(base / 1024, 1),
        "out_mb": round(Path(out).stat().st_size / 1e6, 1),
    }


def measure(kind: str, db: Path, code: str, out: Path) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter and return its figures."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.exports", "--child", kind, str(db), code, str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    out.unlink(missing_ok=True)
    return figures


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run(quick: bool = False, repeats: int = REPEATS) -> dict[str, Any]:
    """Build the database, export both studies to CSV and JSON lines ``repeats`` times each,
    interleaved with their floors, and report the least CPU time and the median wall time."""
    n = QUICK_SESSIONS if quick else SESSIONS
    tmp = Path(tempfile.mkdtemp(prefix="matang-bench-exports-"))
    try:
        db = tmp / "bench.db"
        built = build(db, n)
        print(
            f"built {built['sessions']:,} sessions, {built['answers']:,} answers, {built['events']:,} events "
            f"({built['db_mb']} MB) in {built['build_seconds']} s",
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {}
        for size, code in (("small", built["small"]), ("large", built["large"])):
            for rep in range(repeats):
                # Floor and export in turn, so a busy spell on the machine lands on both.
                for kind in KINDS:
                    got = measure(kind, db, code, tmp / f"{kind}-{size}.out")
                    runs.setdefault(f"{kind}:{size}", []).append(got)
                    print(f"  {size:5} {rep + 1}/{repeats} {kind:12} {got}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    small_n, large_n = n // 10, n
    header = f"{'':14}{'sessions':>10}{'rows':>12}{'CPU s':>8}{'floor':>8}{'ratio':>7}{'wall s':>8}{'floor':>8}"
    header += f"{'ratio':>7}{'spread':>8}{'MB out':>8}{'RSS MB':>8}{'floor RSS':>10}"
    print("\n" + header)
    figures: dict[str, Any] = {
        "sessions": large_n,
        "answers": built["answers"],
        "events": built["events"],
        "build_seconds": built["build_seconds"],
        "db_mb": built["db_mb"],
        "repeats": repeats,
    }
    for fmt in ("csv", "jsonl"):
        for size, count in (("small", small_n), ("large", large_n)):
            got, floor = runs[f"{fmt}:{size}"], runs[f"floor-{fmt}:{size}"]
            cpu, floor_cpu = min(r["cpu_seconds"] for r in got), min(r["cpu_seconds"] for r in floor)
            wall, floor_wall = _median([r["seconds"] for r in got]), _median([r["seconds"] for r in floor])
            ratio = cpu / floor_cpu if floor_cpu else float("nan")
            wall_ratio = wall / floor_wall if floor_wall else float("nan")
            # How far apart the repetitions' own CPU ratios are (each export against its floor).
            pairs = [e["cpu_seconds"] / f["cpu_seconds"] for e, f in zip(got, floor, strict=True) if f["cpu_seconds"]]
            spread = f"{min(pairs):.1f}-{max(pairs):.1f}" if pairs else "-"
            rss = max(r["export_rss_mb"] for r in got)
            floor_rss = max(r["export_rss_mb"] for r in floor)
            print(
                f"{fmt + ' ' + size:14}{count:>10,}{got[0]['rows']:>12,}{cpu:>8.2f}{floor_cpu:>8.2f}{ratio:>7.2f}"
                f"{wall:>8.2f}{floor_wall:>8.2f}{wall_ratio:>7.2f}{spread:>8}{got[0]['out_mb']:>8}{rss:>8}{floor_rss:>10}"
            )
            key = f"{fmt}_{size}"
            figures[f"{key}_cpu_seconds"] = cpu
            figures[f"{key}_floor_cpu_seconds"] = floor_cpu
            figures[f"{key}_ratio_to_floor"] = round(ratio, 2)
            figures[f"{key}_seconds"] = round(wall, 2)
            figures[f"{key}_floor_seconds"] = round(floor_wall, 2)
            figures[f"{key}_wall_ratio_to_floor"] = round(wall_ratio, 2)
            figures[f"{key}_ratios_per_repeat"] = [round(r, 2) for r in pairs]
            figures[f"{key}_rows"] = got[0]["rows"]
            figures[f"{key}_out_mb"] = got[0]["out_mb"]
            figures[f"{key}_export_rss_mb"] = rss
            figures[f"{key}_peak_rss_mb"] = max(r["peak_rss_mb"] for r in got)
            figures[f"{key}_floor_export_rss_mb"] = floor_rss
        figures[f"{fmt}_rss_growth_mb_for_10x_sessions"] = round(
            figures[f"{fmt}_large_export_rss_mb"] - figures[f"{fmt}_small_export_rss_mb"], 1
        )
        figures[f"{fmt}_sessions_per_s"] = round(large_n / figures[f"{fmt}_large_seconds"])
    print(
        f"\nCPU s = the least CPU time of the export process over {repeats} runs, interleaved with the floor's;"
        " ratio = that against the floor's least. wall s = the median wall time; spread = the least and"
        " greatest CPU ratio of one export to the floor run just before it. RSS MB = peak RSS during the"
        " export minus the RSS just before it (interpreter, imports and open database), the largest of the"
        " runs; the same for the floor."
    )
    return figures


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        kind, db, code, out = argv[1:5]
        print(json.dumps(child(kind, db, code, out)))
        return 0
    repeats = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else REPEATS
    print(json.dumps(run(quick="--quick" in argv, repeats=repeats)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(_main(sys.argv[1:]))
