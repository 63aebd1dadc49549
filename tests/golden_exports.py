"""Golden CSV exports: a generated database and the exact bytes the export code wrote for it.

``tests/data/golden/exports.xz`` holds, for each export variant below, the file the long and wide
CSV exports wrote for the database :func:`make_database` builds, before the CSV export was made
faster (issue 17). ``tests/test_research_exports_golden.py`` checks that today's code writes the
same bytes. Rewrite it only when an export is meant to change: ``python -m tests.golden_exports --write``.

The database is the exports benchmark's (``benchmarks.exports.build``: the real schema, answers
of the real flow, two studies), small, with a fixed pseudonym key, and with open answers that a
CSV writer and a spreadsheet must handle with care: formulas, numbers with a sign, commas,
quotes, line breaks, non-ASCII letters, answers in parts with a probe.
"""

from __future__ import annotations

import json
import lzma
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "data" / "golden" / "exports.xz"
SESSIONS = 300
KEY = "ab" * 32
VARIANTS = (
    # (name, study, format, options)
    ("csv-large", "bench-large", "csv", {}),
    ("csv-small-identify-en", "bench-small", "csv", {"identify": True, "lang": "en"}),
    ("csv-small-raw", "bench-small", "csv", {"raw": True}),
    ("csv-wide-large", "bench-large", "csv-wide", {}),
)
AWKWARD = [
    "=HYPERLINK(\"http://x\")",
    "+62 812 3456",
    "-3",
    "-2+3",
    "@admin",
    "\tindented",
    "koma, titik; dan \"kutip\"",
    "baris satu\nbaris dua",
    "CR\r\nLF",
    "Belum ada pelatihan untuk admin, anggaran kurang.",
    "Tidak ada kendala anggaran.",
    "İzin pimpinan lama — “sangat” lama…",
    " spasi di depan",
    "",
    "1e5",
    "'sudah dikutip",
]


def make_database(db: Path) -> None:
    """Build the golden database at ``db`` (the same rows every time)."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    from benchmarks.exports import build
    from bot.store import Store
    from interview_flows.loader import DEFAULT_FLOW_ID, load_flow

    build(db, SESSIONS)
    store = Store.open(db)
    conn = store.db.conn
    conn.execute("update meta set value = ? where key = 'pseudonym_key'", [KEY])
    flow = load_flow(DEFAULT_FLOW_ID)
    texts = [q.id for q in flow.questions if q.type == "text"]
    rng = random.Random(17)
    rows = conn.execute(
        f"select session_id, question_id from answers where question_id in ({','.join('?' * len(texts))})"
        " order by session_id, question_id",
        texts,
    ).fetchall()
    with store.db.atomic():
        for session_id, question_id in rows:
            r = rng.random()
            if r < 0.5:
                value: object = rng.choice(AWKWARD)
            elif r < 0.8:
                value = {
                    "parts": [
                        {"kind": "text", "text": rng.choice(AWKWARD)},
                        {"kind": "probe", "text": rng.choice(AWKWARD)}
                        if rng.random() < 0.7
                        else {"kind": "probe", "skipped": True},
                    ]
                }
            else:
                continue
            conn.execute(
                "update answers set value = ? where session_id = ? and question_id = ?",
                [json.dumps(value, ensure_ascii=False), session_id, question_id],
            )
    store.close()


def exports(db: Path, folder: Path) -> dict[str, bytes]:
    """Each variant's exported file, as bytes."""
    from bot.research.exports import export_study
    from bot.store import Store

    store = Store.open(db)
    out: dict[str, bytes] = {}
    try:
        for name, study, fmt, options in VARIANTS:
            target = folder / f"{name}.csv"
            export_study(store, study, fmt, target, **options)
            out[name] = target.read_bytes()
    finally:
        store.close()
    return out


def read_golden() -> dict[str, bytes]:
    """The committed golden files by variant."""
    with lzma.open(GOLDEN, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return {k: v.encode("utf-8") for k, v in data.items()}


def write_golden() -> None:
    """Export the golden database with today's code and keep the files."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "golden.db"
        make_database(db)
        files = exports(db, Path(tmp))
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(GOLDEN, "wt", encoding="utf-8", preset=9) as f:
        json.dump({k: v.decode("utf-8") for k, v in files.items()}, f, ensure_ascii=False)
    print({k: len(v) for k, v in files.items()})


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.golden_exports --write")
    write_golden()
