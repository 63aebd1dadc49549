"""The result chart as matplotlib drew it until issue 17 (``bot/charts.py`` then), kept only so
``python -m benchmarks chart`` can measure it beside its replacement in the same run.

Nothing in Matang imports it; it needs matplotlib, which Matang no longer depends on
(``pip install 'matplotlib>=3.8,<4'`` to run it). Its texts and geometry are the ones
:mod:`bot.chart_layout` took over.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

# The texts, colours and rows are the layout's (it took them over unchanged): only the drawing
# with matplotlib is kept here.
from bot.chart_layout import (
    _W,
    COLOURS,
    DPI,
    LEVEL_BAR,
    MAX_HEIGHT_PX,
    THRESHOLDS,
    WIDTH_PX,
    _only_criteria_of,
    _rows,
)
from scoring.criteria import Model, load_model

PNG_COMPRESS_LEVEL = 1


def render_chart(
    assessment: Any,
    lang: str = "id",
    model: Model | None = None,
    *,
    phone: bool = True,
    fmt: str = "png",
    dpi: float = DPI,
    row_height_in: float = 0.78,
) -> bytes:
    """The chart as matplotlib drew it; arguments as :func:`bot.charts.render_chart` has them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lang = "en" if lang == "en" else "id"
    data = assessment if isinstance(assessment, Mapping) else assessment.to_dict()
    model = model or load_model()
    rows = _rows(data, model, lang)
    top_in, bottom_in = 1.55, 0.75
    room = MAX_HEIGHT_PX / DPI - top_in - bottom_in
    trimmed = False
    if phone and row_height_in * sum(r["units"] for r in rows) > room:
        # Too tall for a phone: every level's bar, and the criteria only of the unit's own level
        # and the next one (what to work on); the rest is in the full text and the PDF.
        level = int(data["level"])
        rows = _only_criteria_of(rows, {level, level + 1})
        trimmed = True
        row_height_in = min(row_height_in, room / sum(r["units"] for r in rows))
    height_in = top_in + bottom_in + row_height_in * sum(r["units"] for r in rows)
    fig = Figure(figsize=(WIDTH_PX / DPI, height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.04, bottom_in / height_in, 0.92, 1 - (top_in + bottom_in) / height_in))

    level = int(data["level"])
    title = _W["title"][lang].format(n=level, name=data["level_name"][lang])
    fig.text(0.04, 1 - 0.45 / height_in, title, fontsize=30, fontweight="bold", va="center")
    subtitle = _W["subtitle"][lang]
    if data.get("respondents"):
        subtitle = _W["respondents"][lang].format(n=data["respondents"]) + " · " + subtitle
    fig.text(0.04, 1 - 1.05 / height_in, subtitle, fontsize=17, color="#444444", va="center")
    fig.text(0.04, 0.45 / height_in, _W["bands"][lang], fontsize=15, color="#444444", va="center")
    if trimmed:
        fig.text(0.04, 0.17 / height_in, _W["more"][lang], fontsize=15, color="#444444", va="center")

    y = 0.0
    for row in rows:
        y -= row["units"]
        centre = y + row["units"] / 2
        if row["kind"] == "level":
            if row["level"] == level:
                top = y + row["units"]
                ax.axhspan(top - row["span"], top, color="#e3f2e6", zorder=0)
                alone = row["fulfilment"] is None
                ax.text(
                    0.995,
                    centre if alone else centre + 0.2,
                    _W["theirs" if data.get("respondents") else "yours"][lang],
                    ha="right",
                    va="center" if alone else "bottom",
                    fontsize=18,
                    fontweight="bold",
                    color="#1a7a3a",
                    zorder=4,
                    bbox={"facecolor": "#e3f2e6", "edgecolor": "none", "pad": 2},
                )
            _level_row(ax, row, centre, lang)
        else:
            _criterion_row(ax, row, centre, lang)

    for x in THRESHOLDS:
        ax.axvline(x, color="#555555", linestyle=(0, (5, 4)), linewidth=1.6, zorder=3)
        ax.text(
            x, 0.15, f"{round(x * 100)}%", ha="center", va="bottom", fontsize=15, color="#333333"
        )
    ax.set_xlim(0, 1.0)
    ax.set_ylim(y, 0)
    ax.axis("off")

    buf = io.BytesIO()
    # zlib's fastest level: a fifth of the chart's time at the default level, for a file 10 % larger
    # (Telegram re-encodes every photo anyway).
    extra = {"pil_kwargs": {"compress_level": PNG_COMPRESS_LEVEL}} if fmt == "png" else {}
    fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white", **extra)
    return buf.getvalue()


PRINT_DPI = 300
PRINT_ROW_HEIGHT_IN = 0.55
"""Rows for print: the whole chart fits an A4 page at 174 mm wide, where 15 pt becomes 9.5 pt."""





def _level_row(ax: Any, row: Mapping[str, Any], centre: float, lang: str) -> None:
    label = _W["level"][lang].format(n=row["level"], name=row["name"])
    if row["achieved"]:
        label = "✓ " + label
    value = row["fulfilment"]
    if value is None:  # a heading alone (level 1, or a level without evidence): centred in its row
        ax.text(
            0.0,
            centre,
            label,
            fontsize=21,
            fontweight="bold",
            va="center",
            color="#1b1b1b",
            zorder=4,
        )
        return
    ax.text(
        0.0,
        centre + 0.2,
        label,
        fontsize=21,
        fontweight="bold",
        va="bottom",
        color="#1b1b1b",
        zorder=4,
    )
    ax.barh(centre - 0.2, value, height=0.34, color=LEVEL_BAR, zorder=2)
    _value_label(ax, value, centre - 0.2, f"{round(value * 100)}%", bold=True)


def _criterion_row(ax: Any, row: Mapping[str, Any], centre: float, lang: str) -> None:
    ax.text(0.0, centre + 0.1, row["name"], fontsize=18, va="bottom", color="#222222", zorder=4)
    value, rating = row["fulfilment"], row["rating"]
    bar_y = centre - 0.2
    if value is None:
        ax.barh(
            bar_y,
            1.0,
            height=0.36,
            color="white",
            edgecolor=COLOURS[None],
            hatch="//",
            linewidth=1.2,
            zorder=2,
        )
        ax.text(
            0.02,
            bar_y,
            _W["unknown"][lang],
            fontsize=16,
            va="center",
            color="#555555",
            zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )
        return
    ax.barh(
        bar_y, max(value, 0.004), height=0.36, color=COLOURS.get(rating, COLOURS[None]), zorder=2
    )
    _value_label(ax, value, bar_y, f"{round(value * 100)}%")


def _value_label(ax: Any, value: float, y: float, text: str, bold: bool = False) -> None:
    # Inside the bar's end when the bar is long, just after it otherwise, so it never runs off.
    weight = "bold" if bold else "normal"
    if value > 0.78:
        ax.text(
            value - 0.01,
            y,
            text,
            ha="right",
            va="center",
            fontsize=16,
            color="white",
            fontweight=weight,
            zorder=5,
        )
    else:
        ax.text(
            value + 0.012,
            y,
            text,
            ha="left",
            va="center",
            fontsize=16,
            color="#222222",
            fontweight=weight,
            zorder=5,
        )
