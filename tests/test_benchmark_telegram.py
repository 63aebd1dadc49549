"""``python -m benchmarks telegram``: its quick run drives the real bot and both echo bots through
the fake Bot API in a load process of its own, and its rows pool their rounds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.telegram import pooled

ROOT = Path(__file__).resolve().parents[1]


def test_the_quick_telegram_benchmark_measures_matang_beside_both_echo_bots():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "telegram", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    rows = {r["users"]: r for r in figures["rows"]}
    assert sorted(rows) == [1, 10]
    for users, r in rows.items():
        assert r["errors"] == 0, r["first_error"]
        # Whole interviews: every respondent answered every question and got the result's chart.
        assert r["answers"] % users == 0 and r["answers"] // users > 30
        assert r["presses"] + r["typed"] == r["answers"] and r["typed"] > 0 and r["presses"] > 0
        assert r["charts"] == users and r["calls"]["sendPhoto"] == users
        assert r["answers_per_s"] > 0 and r["echo_per_s"] > 0 and r["echo_fast_per_s"] > 0
        assert 1 < r["calls_per_answer"] < 4 and r["cpu_ms_per_answer"] > 0
        assert 0 < r["p50_ms"] <= r["p99_ms"]
    assert "×echo" in done.stdout and "presses" in done.stdout


def _run(answers: int, seconds: float, presses: list[float], typed: list[float], charts: list[float]) -> dict:
    return {"answers": answers, "errors": 0, "first_error": None, "seconds": seconds, "cpu_s": seconds / 2,
            "calls": {"sendMessage": answers}, "samples": {"press": presses, "typed": typed},
            "chart_samples": charts}


def test_rounds_pool_into_one_row_with_percentiles_taken_again():
    one = _run(3, 1.0, [1.0, 2.0], [9.0], [100.0])
    two = _run(2, 3.0, [3.0], [4.0], [300.0])
    two["errors"], two["first_error"] = 1, "user 7: no chart"
    row = pooled([one, two])
    assert row["answers"] == 5 and row["seconds"] == 4.0 and row["cpu_s"] == 2.0
    assert row["calls"] == {"sendMessage": 5}
    assert row["errors"] == 1 and row["first_error"] == "user 7: no chart"
    assert row["kinds"]["press"] == {"count": 3, "p50_ms": 2.0, "p99_ms": 3.0}
    assert row["kinds"]["typed"] == {"count": 2, "p50_ms": 4.0, "p99_ms": 9.0}
    # Over all five latencies (1, 2, 3, 4, 9), not a mean of each round's percentiles.
    assert row["p50_ms"] == 3.0 and row["p99_ms"] == 9.0
    assert row["charts"] == {"count": 2, "p50_ms": 100.0, "max_ms": 300.0}
