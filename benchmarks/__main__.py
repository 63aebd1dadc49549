"""Run benchmarks: ``python -m benchmarks [NAME…] [--quick] [--compiled | --installed]``.

Each benchmark module has ``run(quick: bool) -> dict``: it prints a table for people and returns
its figures, every timing beside a floor measured in the same run. The runner prints, last, one
JSON line per benchmark with those figures.

Scoring is compiled with mypyc in a wheel and the Docker image, and plain Python in a checkout's
editable install. Run from such an install, the scoring benchmark measures both builds: the
installed one, then the wheel's (built into a temporary folder first). ``--installed`` measures
only what is installed; ``--compiled`` runs every named benchmark on the wheel's build.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

BENCHMARKS = {
    "engine": "benchmarks.engine",
    "scoring": "benchmarks.scoring",
    "telegram": "benchmarks.telegram",
    "exports": "benchmarks.exports",
    "soak": "benchmarks.soak",
    "themes": "benchmarks.themes",
    "chart": "benchmarks.chart",
}
DEFAULT = ["engine", "scoring", "telegram", "exports", "themes", "chart"]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen benchmarks (all but the soak run by default)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help=f"default: {' '.join(DEFAULT)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    build = parser.add_mutually_exclusive_group()
    build.add_argument(
        "--compiled",
        action="store_true",
        help="on the compiled build a wheel installs (built into a temporary folder first)",
    )
    build.add_argument(
        "--installed",
        action="store_true",
        help="only the build installed here (scoring: not also the wheel's compiled build)",
    )
    args = parser.parse_args(argv)
    if args.compiled:
        from benchmarks.compiled import rerun

        return rerun([*args.names, *(["--quick"] if args.quick else [])])
    results = []
    for name in args.names or DEFAULT:
        module = importlib.import_module(BENCHMARKS[name])
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        figures = module.run(quick=args.quick)
        figures = {
            "benchmark": name,
            "quick": args.quick,
            "seconds": round(time.perf_counter() - started, 1),
            **figures,
        }
        results.append(figures)
    print()
    for figures in results:
        print(json.dumps(figures, ensure_ascii=False, default=str))
    if not args.installed and any(f["benchmark"] == "scoring" and f["build"] == "python" for f in results):
        # The build operators run: a session's cost there is the figure that counts (issue 17).
        from benchmarks.compiled import rerun

        print("\nscoring again, on the compiled build a wheel and the Docker image install:", flush=True)
        return rerun(["scoring", *(["--quick"] if args.quick else [])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
