"""Chart: CPU per result chart in the chart worker, beside a floor and the old renderer in the same run.

The charts are those of generated completed sessions of the real flow (``benchmarks.scoring``'s,
all levels), in both languages, each chart a different assessment, timed with ``process_time``
(the worker's CPU is what a burst of finished interviews queues on); the figure is the median.
Measured, each beside the others:

- ``warm``: as the worker draws once warm (:func:`bot.chart_worker._warm` drew its first charts):
  fonts loaded, letters already set kept;
- ``no kept letters``: every label set anew (the caches emptied before each chart);
- ``first in a process``: a fresh interpreter importing Pillow and drawing one chart;
- ``print`` (300 dpi, every criterion) and ``svg``, as ``matang report`` and ``matang chart`` draw;
- the floor: encoding a blank palette PNG of the phone chart's largest size (1080×1350) as the
  painter does, and, for reference, a blank RGB one;
- the matplotlib renderer Matang used before (``benchmarks/chart_matplotlib.py``), when matplotlib
  is installed.

One answer costs the bot 1.7-2.3 ms of CPU (``python -m benchmarks telegram``, docs/benchmarks.md);
issue 17 asks that a chart cost no more than ten answers.

Run: ``python -m benchmarks chart [--quick]``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import print_rows
from benchmarks.scoring import SEED, make_sessions
from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
from interview_flows.schema import DONT_KNOW, Flow
from scoring.assessment import assess
from scoring.organisation import combine

CHARTS = 300
QUICK_CHARTS = 60
OLD_CHARTS = 40
ANSWER_CPU_MS = (1.7, 2.3)
"""Bot CPU per answer, 10-100 concurrent respondents (docs/benchmarks.md, the Telegram rows)."""
ROOT = Path(__file__).resolve().parent.parent


def _cpu_ms(fn: Callable[[], Any]) -> float:
    started = time.process_time()
    fn()
    return (time.process_time() - started) * 1000


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 2)


def _first_chart_in_a_process() -> float:
    """CPU of a fresh interpreter's first chart: importing the painter and Pillow, loading fonts."""
    code = (
        "import time\n"
        "from benchmarks.chart import sample_assessments\n"
        "a = sample_assessments(1)[0]\n"
        "t = time.process_time()\n"
        "from bot.charts import render_chart\n"
        "render_chart(a, 'id')\n"
        "print((time.process_time() - t) * 1000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def sample_assessments(n: int) -> list[dict[str, Any]]:
    """``n`` assessments (as dicts) of generated completed sessions of the real flow, of every
    level: a random session is mostly level 1, so in four of five the choices are moved, each with
    a chance of 50-100 %, to those giving the most evidence; one in ten is an organisation's."""
    flow = load_flow(DEFAULT_FLOW_ID)
    rng = random.Random(SEED)
    people = []
    for i, answers in enumerate(make_sessions(flow, n)):
        chance = (0.0, 0.5, 0.8, 0.95, 1.0)[i % 5]
        people.append(assess(flow, _better(flow, answers, rng, chance)))
    # Every tenth chart is an organisation's: the three people before it combined.
    return [(combine(people[i - 3 : i]) if i % 10 == 9 else a).to_dict() for i, a in enumerate(people)]


def _better(flow: Flow, answers: dict[str, Any], rng: random.Random, chance: float) -> dict[str, Any]:
    answers = dict(answers)
    for q in flow.questions:
        if q.id not in answers or answers[q.id] == DONT_KNOW or rng.random() >= chance:
            continue
        if q.type in ("single_choice", "yes_no"):
            answers[q.id] = max(q.choices, key=lambda c: sum(c.evidence.values())).value
        elif q.type == "multiple_choice":
            answers[q.id] = [c.value for c in q.choices if not c.exclusive]
    return answers


def _blank_png(mode: str) -> bytes:
    from PIL import Image

    from bot.chart_paint import PNG_COMPRESS_LEVEL

    buf = io.BytesIO()
    image = Image.new(mode, (1080, 1350), 0 if mode == "P" else "white")
    if mode == "P":
        image.putpalette([255, 255, 255] * 256)
    image.save(buf, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def run(quick: bool = False) -> dict[str, Any]:
    """Time the charts of 300 (quick: 60) assessments; print the table, return the figures."""
    from bot import chart_layout, chart_paint
    from bot.chart_worker import _warm
    from bot.charts import PRINT_DPI, PRINT_ROW_HEIGHT_IN, render_chart

    n = QUICK_CHARTS if quick else CHARTS
    assessments = sample_assessments(n)
    langs = ["id" if i % 2 == 0 else "en" for i in range(n)]
    _warm()
    warm = [_cpu_ms(lambda a=a, lang=lang: render_chart(a, lang)) for a, lang in zip(assessments, langs, strict=True)]

    def afresh(a: dict[str, Any], lang: str) -> None:
        chart_paint._letters.cache_clear()
        chart_paint._stripes.cache_clear()
        chart_layout._measure.cache_clear()
        render_chart(a, lang)

    cold = [_cpu_ms(lambda a=a, lang=lang: afresh(a, lang)) for a, lang in zip(assessments, langs, strict=True)]
    some = list(zip(assessments, langs, strict=True))[: max(10, n // 10)]
    printed = [
        _cpu_ms(lambda a=a, lang=lang: render_chart(a, lang, phone=False, dpi=PRINT_DPI,
                                                     row_height_in=PRINT_ROW_HEIGHT_IN))
        for a, lang in some
    ]
    svg = [_cpu_ms(lambda a=a, lang=lang: render_chart(a, lang, phone=False, fmt="svg")) for a, lang in some]
    floor_p = [_cpu_ms(lambda: _blank_png("P")) for _ in range(max(30, n // 5))]
    floor_rgb = [_cpu_ms(lambda: _blank_png("RGB")) for _ in range(max(30, n // 5))]
    first = _first_chart_in_a_process()
    sizes = [len(render_chart(a, lang)) for a, lang in some]

    old: list[float] = []
    if importlib.util.find_spec("matplotlib") is not None:  # no longer a dependency of Matang
        from benchmarks.chart_matplotlib import render_chart as old_chart

        old_chart(assessments[0], "id")  # its imports, outside the timing
        old = [_cpu_ms(lambda a=a, lang=lang: old_chart(a, lang)) for a, lang in some[:OLD_CHARTS]]

    figures: dict[str, Any] = {
        "charts": n,
        "level_histogram": {str(lv): sum(a["level"] == lv for a in assessments) for lv in range(1, 6)},
        "warm_ms_per_chart": _median(warm),
        "warm_p90_ms": round(sorted(warm)[int(0.9 * n)], 2),
        "no_kept_letters_ms_per_chart": _median(cold),
        "first_chart_in_a_process_ms": round(first, 1),
        "print_300dpi_ms_per_chart": _median(printed),
        "svg_ms_per_chart": _median(svg),
        "png_kb_median": round(statistics.median(sizes) / 1024, 1),
        "floor_blank_palette_png_ms": _median(floor_p),
        "blank_rgb_png_ms": _median(floor_rgb),
        "ratio_warm_to_floor": round(statistics.median(warm) / statistics.median(floor_p), 2),
        "answers_per_chart_warm": [round(statistics.median(warm) / a, 1) for a in reversed(ANSWER_CPU_MS)],
        "answers_per_chart_no_kept_letters": [round(statistics.median(cold) / a, 1) for a in reversed(ANSWER_CPU_MS)],
    }
    if old:
        figures["matplotlib_ms_per_chart"] = _median(old)
        figures["ratio_matplotlib_to_warm"] = round(statistics.median(old) / statistics.median(warm), 1)
    rows = [
        ("charts (each a different assessment)", f"{n}"),
        ("warm worker: ms CPU per chart (median)", figures["warm_ms_per_chart"]),
        ("warm worker: p90", figures["warm_p90_ms"]),
        ("no letters kept: ms per chart", figures["no_kept_letters_ms_per_chart"]),
        ("first chart in a fresh process: ms", figures["first_chart_in_a_process_ms"]),
        ("print PNG, 300 dpi: ms per chart", figures["print_300dpi_ms_per_chart"]),
        ("SVG: ms per chart", figures["svg_ms_per_chart"]),
        ("phone PNG: KB (median)", figures["png_kb_median"]),
        ("floor, blank palette PNG 1080×1350: ms", figures["floor_blank_palette_png_ms"]),
        ("blank RGB PNG 1080×1350: ms", figures["blank_rgb_png_ms"]),
        ("warm / floor", f"{figures['ratio_warm_to_floor']}×"),
        ("answers of CPU per chart (1.7-2.3 ms each)", "–".join(map(str, figures["answers_per_chart_warm"]))),
        ("… with no letters kept", "–".join(map(str, figures["answers_per_chart_no_kept_letters"]))),
    ]
    if old:
        rows += [
            ("matplotlib (before): ms per chart", figures["matplotlib_ms_per_chart"]),
            ("matplotlib / warm", f"{figures['ratio_matplotlib_to_warm']}×"),
        ]
    else:
        rows.append(("matplotlib (before)", "not installed"))
    print_rows(rows)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=False), ensure_ascii=False))
