"""Where everything of the result chart goes: boxes, dashed lines and labels, placed in pixels.

The layout is computed once from the assessment and is the same for every picture of it: the
phone PNG, the print PNG (the same shapes, scaled) and the SVG (:mod:`bot.chart_paint`). Sizes
are those of a picture 1080 px wide at 100 dpi, so a font size in points is ``pt * 100 / 72``
pixels. Text is measured with the bundled DejaVu fonts (``bot/fonts/``, through Pillow's FreeType,
imported only here and when painting): a label that would run into another or out of the picture
is set smaller, down to a floor, and then shortened with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from scoring.criteria import Model

WIDTH_PX = 1080
MAX_HEIGHT_PX = 1350
"""4:5, the tallest picture a phone shows whole in a chat: nothing to zoom into or scroll."""
DPI = 100
PX_PER_PT = DPI / 72
COLOURS = {"N": "#d73027", "P": "#f28e2b", "L": "#8cc152", "F": "#1a9850", None: "#bdbdbd"}
LEVEL_BAR = "#4a5a6a"
BAND = "#e3f2e6"
"""The highlight behind the agency's own level."""
THRESHOLDS = (0.50, 0.85)
WHITE = "#ffffff"
TITLE_INK, HEADING_INK, TEXT_INK, NOTE_INK, AXIS_INK = "#000000", "#1b1b1b", "#222222", "#444444", "#333333"
GRID = "#555555"
"""The threshold lines, and the words "no evidence"."""
OWN_INK = "#1a7a3a"
"""The words "your level"."""
PAIRS = (
    *((WHITE, ink) for ink in (TITLE_INK, HEADING_INK, TEXT_INK, NOTE_INK, AXIS_INK, GRID, COLOURS[None])),
    *((BAND, ink) for ink in (HEADING_INK, TEXT_INK, OWN_INK)),
    *((bar, WHITE) for bar in (LEVEL_BAR, *COLOURS.values())),
)
"""Every (background, colour) of the chart's labels (and of the "no evidence" stripes on white): the
painter gives each its shades in a palette that stays the same from chart to chart."""

TOP_PX, BOTTOM_PX = 155.0, 75.0
"""Room above the bars (title, subtitle, threshold labels) and below them (the colour legend)."""
LEFT_PX = 0.04 * WIDTH_PX
PLOT_PX = 0.92 * WIDTH_PX
SHRINK_TO = 0.8
"""A label too long for its room is set down to this share of its size before it is shortened."""

_W = {
    "title": {"id": "Tingkat {n} — {name}", "en": "Level {n} — {name}"},
    "level": {"id": "Tingkat {n} · {name}", "en": "Level {n} · {name}"},
    "yours": {"id": "tingkat unit ini", "en": "your level"},
    "theirs": {"id": "tingkat instansi", "en": "organisation's level"},
    "unknown": {"id": "tidak ada bukti", "en": "no evidence"},
    "subtitle": {
        "id": "Pemenuhan tiap kriteria (0–100%). Garis: 50% dan 85%.",
        "en": "Fulfilment of each criterion (0–100%). Lines: 50% and 85%.",
    },
    "bands": {
        "id": "Warna: merah belum · jingga sebagian · hijau muda sebagian besar · hijau penuh",
        "en": "Colours: red not yet · orange partly · light green largely · green fully",
    },
    "more": {
        "id": "Kriteria tingkat lainnya ada di penjelasan lengkap dan laporan PDF.",
        "en": "The criteria of the other levels are in the full explanation and the PDF report.",
    },
    "respondents": {"id": "{n} responden", "en": "{n} respondents"},
    "respondent": {"id": "{n} responden", "en": "{n} respondent"},
}


@dataclass(frozen=True)
class Box:
    """A filled rectangle (``x0, y0`` its top left); ``hatch`` draws it as "no evidence": white,
    outlined and striped in ``fill``."""

    x0: float
    y0: float
    x1: float
    y1: float
    fill: str
    hatch: bool = False


@dataclass(frozen=True)
class Dashes:
    """A vertical dashed line at ``x`` from ``y0`` to ``y1``."""

    x: float
    y0: float
    y1: float
    width: float
    dash: float
    gap: float
    colour: str


@dataclass(frozen=True)
class Label:
    """One line of text with its baseline at ``y``; ``align`` says what ``x`` is (the text's
    left end ``"l"``, right end ``"r"`` or middle ``"m"``). ``background`` is the colour it is
    drawn on (the painter blends the letters' edges into it); ``bbox`` is where its ink can go."""

    x: float
    y: float
    text: str
    size: float
    colour: str
    background: str
    bold: bool = False
    align: str = "l"
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


@dataclass
class Layout:
    """The chart as shapes, back to front, in a picture ``width`` × ``height`` px at 100 dpi."""

    width: float
    height: float
    shapes: list[Box | Dashes | Label] = field(default_factory=list)
    trimmed: bool = False
    """Only the criteria of the unit's level and the next are drawn (a phone picture)."""

    @property
    def labels(self) -> list[Label]:
        """The texts of the chart, back to front."""
        return [s for s in self.shapes if isinstance(s, Label)]


@lru_cache(maxsize=64)
def font(size_px: float, bold: bool = False) -> Any:
    """The bundled DejaVu Sans (bold) at ``size_px`` pixels, kept for the next chart."""
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    with resources.as_file(resources.files("bot.fonts").joinpath(name)) as path:
        return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.BASIC)


def text_width(text: str, size_px: float, bold: bool = False) -> float:
    """How wide ``text`` is set in the bundled font, in pixels."""
    return float(font(size_px, bold).getlength(text))


def fit(text: str, size_px: float, room: float, bold: bool = False) -> tuple[str, float]:
    """``text`` and a size at which it fits ``room`` pixels: its own size when it fits, smaller
    (down to :data:`SHRINK_TO` of it) when that is enough, else that smallest size and the text
    cut at a word (or a letter) with an ellipsis.

    >>> fit("Tingkat 3", 29.0, 1000.0)
    ('Tingkat 3', 29.0)
    >>> text, size = fit("Kriteria yang namanya sangat panjang sekali", 25.0, 300.0)
    >>> text.endswith("…") and text_width(text, size) <= 300
    True
    """
    width = text_width(text, size_px, bold)
    if width <= room:
        return text, size_px
    if width * SHRINK_TO <= room:
        return text, size_px * room / width
    size = size_px * SHRINK_TO
    words = text.split(" ")
    while len(words) > 1:
        words.pop()
        short = " ".join(words).rstrip(" ·,—–-") + "…"
        if text_width(short, size, bold) <= room:
            return short, size
    short = text
    while short and text_width(short + "…", size, bold) > room:
        short = short[:-1]
    return short + "…", size


def label(
    x: float,
    y: float,
    text: str,
    size_pt: float,
    colour: str,
    background: str,
    *,
    bold: bool = False,
    align: str = "l",
    valign: str = "middle",
    room: float | None = None,
) -> Label:
    """A label placed as matplotlib placed them: ``valign`` ``"middle"`` centres the line on
    ``y``, ``"bottom"`` puts the bottom of its descenders there. ``room``: the width it may take."""
    text, size, (rise, x0, y0, x1, y1) = _measure(text, size_pt * PX_PER_PT, room, bold, align, valign)
    baseline = y + rise
    return Label(x, baseline, text, size, colour, background, bold, align,
                 (x + x0, baseline + y0, x + x1, baseline + y1))


@lru_cache(maxsize=1024)
def _measure(text: str, size: float, room: float | None, bold: bool, align: str,
             valign: str) -> tuple[str, float, tuple[float, float, float, float, float]]:
    """A label's text and size once fitted, its baseline below the placed ``y`` and its ink box
    about its anchor (kept: the charts of a worker set the same texts again and again)."""
    if room is not None:
        text, size = fit(text, size, room, bold)
    f = font(size, bold)
    ascent, descent = f.getmetrics()
    rise = -descent if valign == "bottom" else (ascent - descent) / 2
    x0, y0, x1, y1 = f.getbbox(text, anchor={"l": "ls", "r": "rs", "m": "ms"}[align])
    return text, size, (rise, x0, y0, x1, y1)


def layout_chart(
    data: Mapping[str, Any],
    lang: str,
    model: Model,
    *,
    phone: bool = True,
    row_height_in: float = 0.78,
) -> Layout:
    """The chart of an assessment's dict in ``lang`` (``"id"`` or ``"en"``): its size and shapes.

    ``phone``: at most 1080×1350, the criteria of other levels than the unit's and the next left
    out when all would not fit; otherwise every criterion, as tall as they need.
    """
    rows = _rows(data, model, lang)
    unit = row_height_in * DPI
    room = MAX_HEIGHT_PX - TOP_PX - BOTTOM_PX
    trimmed = False
    level = int(data["level"])
    if phone and unit * sum(r["units"] for r in rows) > room:
        # Too tall for a phone: every level's bar, and the criteria only of the unit's own level
        # and the next one (what to work on); the rest is in the full text and the PDF.
        rows = _only_criteria_of(rows, {level, level + 1})
        trimmed = True
        unit = min(unit, room / sum(r["units"] for r in rows))
    height = TOP_PX + BOTTOM_PX + unit * sum(r["units"] for r in rows)
    out = Layout(WIDTH_PX, height, trimmed=trimmed)
    text_room = WIDTH_PX - 2 * LEFT_PX

    def at(x: float) -> float:  # a fulfilment (0..1) as a pixel column
        return LEFT_PX + x * PLOT_PX

    # The highlight behind the agency's level comes first: everything else is drawn over it.
    y = TOP_PX
    for row in rows:
        if row["kind"] == "level" and row["level"] == level:
            out.shapes.append(Box(LEFT_PX, y, LEFT_PX + PLOT_PX, y + row["span"] * unit, BAND))
        row["top"] = y
        y += row["units"] * unit
    texts: list[Box | Label] = []  # in front of the dashed lines
    bg = WHITE
    for row in rows:
        centre = row["top"] + row["units"] * unit / 2
        if row["kind"] == "level":
            bg = BAND if row["level"] == level else WHITE
            _level_row(out, texts, row, centre, unit, lang, bg, own=row["level"] == level,
                       theirs=bool(data.get("respondents")), at=at)
        else:
            _criterion_row(out, texts, row, centre, unit, lang, bg, at)
    for x in THRESHOLDS:
        lw = 1.6 * PX_PER_PT
        out.shapes.append(Dashes(at(x), TOP_PX, height - BOTTOM_PX, lw, 5 * lw, 4 * lw, GRID))
    out.shapes.extend(texts)
    for x in THRESHOLDS:
        out.shapes.append(label(at(x), TOP_PX - 0.15 * unit, f"{round(x * 100)}%", 15, AXIS_INK, WHITE,
                                align="m", valign="bottom"))

    title = _W["title"][lang].format(n=level, name=data["level_name"][lang])
    out.shapes.append(label(LEFT_PX, 45, title, 30, TITLE_INK, WHITE, bold=True, room=text_room))
    subtitle = _W["subtitle"][lang]
    if data.get("respondents"):
        one = "respondent" if data["respondents"] == 1 else "respondents"
        subtitle = _W[one][lang].format(n=data["respondents"]) + " · " + subtitle
    out.shapes.append(label(LEFT_PX, 105, subtitle, 17, NOTE_INK, WHITE, room=text_room))
    out.shapes.append(label(LEFT_PX, height - 45, _W["bands"][lang], 15, NOTE_INK, WHITE, room=text_room))
    if trimmed:
        out.shapes.append(label(LEFT_PX, height - 17, _W["more"][lang], 15, NOTE_INK, WHITE, room=text_room))
    return out


def _level_row(out: Layout, texts: list[Box | Label], row: Mapping[str, Any], centre: float, unit: float,
               lang: str, bg: str, *, own: bool, theirs: bool, at: Any) -> None:
    text = _W["level"][lang].format(n=row["level"], name=row["name"])
    if row["achieved"]:
        text = "✓ " + text
    value = row["fulfilment"]
    alone = value is None  # a heading alone (level 1, or a level without evidence): centred in its row
    y, valign = (centre, "middle") if alone else (centre - 0.2 * unit, "bottom")
    room = PLOT_PX
    if own:
        # "your level" at the right end of the row; the level's name keeps clear of it.
        pad = 2 * PX_PER_PT
        mark = label(at(0.995) - pad, y, _W["theirs" if theirs else "yours"][lang], 18, OWN_INK, BAND,
                     bold=True, align="r", valign=valign, room=PLOT_PX / 2)
        x0, y0, x1, y1 = mark.bbox
        # Over the dashed lines; within the highlight, which a short print row leaves little room in.
        texts.append(Box(x0 - pad, max(y0 - pad, row["top"]), x1 + pad, y1 + pad, BAND))
        texts.append(mark)
        room = x0 - pad - LEFT_PX - 12
    texts.append(label(LEFT_PX, y, text, 21, HEADING_INK, bg, bold=True, valign=valign, room=room))
    if alone:
        return
    bar_y, half = centre + 0.2 * unit, 0.17 * unit
    out.shapes.append(Box(LEFT_PX, bar_y - half, at(value), bar_y + half, LEVEL_BAR))
    texts.append(_value_label(value, bar_y, LEVEL_BAR, bg, at, bold=True))


def _criterion_row(out: Layout, texts: list[Box | Label], row: Mapping[str, Any], centre: float, unit: float,
                   lang: str, bg: str, at: Any) -> None:
    texts.append(label(LEFT_PX, centre - 0.1 * unit, row["name"], 18, TEXT_INK, bg, valign="bottom",
                       room=PLOT_PX))
    value, rating = row["fulfilment"], row["rating"]
    bar_y, half = centre + 0.2 * unit, 0.18 * unit
    if value is None:
        out.shapes.append(Box(LEFT_PX, bar_y - half, at(1.0), bar_y + half, COLOURS[None], hatch=True))
        mark = label(at(0.02), bar_y, _W["unknown"][lang], 16, GRID, WHITE)
        pad = 1.5 * PX_PER_PT
        x0, y0, x1, y1 = mark.bbox
        texts.append(Box(x0 - pad, max(y0 - pad, bar_y - half + 2), x1 + pad,  # over the dashed lines
                         min(y1 + pad, bar_y + half - 2), WHITE))
        texts.append(mark)
        return
    colour = COLOURS.get(rating, COLOURS[None])
    out.shapes.append(Box(LEFT_PX, bar_y - half, at(max(value, 0.004)), bar_y + half, colour))
    texts.append(_value_label(value, bar_y, colour, bg, at))


def _value_label(value: float, y: float, bar: str, bg: str, at: Any, bold: bool = False) -> Label:
    # Inside the bar's end when the bar is long, just after it otherwise, so it never runs off.
    text = f"{round(value * 100)}%"
    if value > 0.78:
        return label(at(value - 0.01), y, text, 16, WHITE, bar, bold=bold, align="r")
    return label(at(value + 0.012), y, text, 16, TEXT_INK, bg, bold=bold)


def _rows(data: Mapping[str, Any], model: Model, lang: str) -> list[dict[str, Any]]:
    """Rows top to bottom: each level's header, then its criteria (level 1 when it has evidence
    or is the agency's level)."""
    criteria_by_level: dict[int, list[Mapping[str, Any]]] = {}
    for c in data["criteria"]:
        criteria_by_level.setdefault(int(c["level"]), []).append(c)
    rows: list[dict[str, Any]] = []
    by_id = model.by_id
    for lv in data["levels"]:
        n = int(lv["level"])
        own = criteria_by_level.get(n, [])
        if n == 1 and not any(c["fulfilment"] is not None for c in own):
            if int(data["level"]) != 1:
                continue
            own = []  # level 1 is the floor: shown (as "your level") without criteria bars
        rows.append(
            {
                "kind": "level",
                "level": n,
                "name": model.level(n).name.get(lang),
                "fulfilment": lv["fulfilment"],
                "achieved": bool(lv["achieved"]) and n >= 2,
                "units": 1.25 if own or lv["fulfilment"] is not None else 0.9,
            }
        )
        for c in own:
            criterion = by_id.get(c["id"])
            name = criterion.name.get(lang) if criterion else c["id"]
            rows.append(
                {"kind": "criterion", "name": name, "rating": c["rating"], "fulfilment": c["fulfilment"], "units": 1.0}
            )
    # The highlight band of the agency's level covers its header and its criteria.
    for i, row in enumerate(rows):
        if row["kind"] == "level":
            row["span"] = row["units"] + sum(r["units"] for r in _group(rows, i))
    return rows


def _only_criteria_of(rows: list[dict[str, Any]], levels: set[int]) -> list[dict[str, Any]]:
    """The rows with the criteria of other levels left out (their level bars stay)."""
    kept: list[dict[str, Any]] = []
    keep = True
    for row in rows:
        if row["kind"] == "level":
            keep = row["level"] in levels
            kept.append(dict(row))
        elif keep:
            kept.append(row)
    for i, row in enumerate(kept):
        if row["kind"] == "level":
            own = _group(kept, i)
            row["units"] = 1.25 if own or row["fulfilment"] is not None else 0.9
            row["span"] = row["units"] + sum(r["units"] for r in own)
    return kept


def _group(rows: list[dict[str, Any]], i: int) -> list[dict[str, Any]]:
    out = []
    for row in rows[i + 1 :]:
        if row["kind"] == "level":
            break
        out.append(row)
    return out
