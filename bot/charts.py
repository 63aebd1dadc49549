"""The assessment as a picture for a phone: fulfilment per level and per criterion, as a PNG.

:func:`render_chart` lays the chart out once (:mod:`bot.chart_layout`: rows, bars, labels in
pixels, measured with the bundled fonts) and paints that layout (:mod:`bot.chart_paint`): a palette
PNG with Pillow for a phone or, larger, for print, or an SVG. Pillow is imported only when a chart
is drawn (the bot itself never draws one: :mod:`bot.chart_worker` does, in its own process).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.chart_layout import COLOURS, DPI, LEVEL_BAR, MAX_HEIGHT_PX, THRESHOLDS, WIDTH_PX, layout_chart
from bot.chart_paint import PNG_COMPRESS_LEVEL
from scoring.criteria import Model, load_model

__all__ = [
    "COLOURS",
    "DPI",
    "LEVEL_BAR",
    "MAX_HEIGHT_PX",
    "PNG_COMPRESS_LEVEL",
    "PRINT_DPI",
    "PRINT_ROW_HEIGHT_IN",
    "THRESHOLDS",
    "WIDTH_PX",
    "render_chart",
]

PRINT_DPI = 300
PRINT_ROW_HEIGHT_IN = 0.55
"""Rows for print: the whole chart fits an A4 page at 174 mm wide, where 15 pt becomes 9.5 pt."""


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
    """Draw an assessment (an ``Assessment``, or its ``to_dict()``) as a PNG 1080 px wide.

    ``fmt`` ``"svg"`` draws it as vector graphics; ``dpi`` above 100 gives a sharper PNG of the
    same layout, and a smaller ``row_height_in`` a shorter one (reports print it on A4 with
    :data:`PRINT_DPI` and :data:`PRINT_ROW_HEIGHT_IN`, so labels stay at 8 pt or more).

    ``phone``: at most 1080×1350 (4:5), so a chat shows it whole and legible; when every
    criterion would not fit, only those of the unit's level and the next are drawn. A report
    page (``phone=False``) gets every criterion, as tall as they need.

    Horizontal bars grouped by level: each level's mean fulfilment, then its criteria coloured by
    rating; dashed lines at the 50 % and 85 % thresholds; the agency's level highlighted.

    >>> png = render_chart(assess(flow, answers), "en")   # doctest: +SKIP
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"                  # doctest: +SKIP
    True
    """
    from bot.chart_paint import paint_png, paint_svg

    if fmt not in ("png", "svg"):
        raise ValueError(f"a chart is drawn as png or svg, not {fmt!r}")
    lang = "en" if lang == "en" else "id"
    data = assessment if isinstance(assessment, Mapping) else assessment.to_dict()
    layout = layout_chart(data, lang, model or load_model(), phone=phone, row_height_in=row_height_in)
    if fmt == "svg":
        return paint_svg(layout)
    return paint_png(layout, scale=dpi / DPI, dpi=dpi)
