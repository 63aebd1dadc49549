"""The result chart's layout (:mod:`bot.chart_layout`) painted: a palette PNG with Pillow, or an SVG.

The PNG is painted straight into palette indices: the chart has a dozen flat colours, and the
letters' anti-aliased edges are blended into the colour each label is drawn on through a ramp of
:data:`RAMP_STEPS` palette entries per pair of label and background colours. A palette PNG is a
third the size of an RGB one and zlib takes a quarter of the time over it (Pillow filters RGB
rows adaptively, which alone costs ~13 ms at 1080×1350). A label's letters are rendered once and
kept (:func:`_letters`): a worker drawing chart after chart sets the same few hundred texts.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from bot.chart_layout import BAND, COLOURS, GRID, LEVEL_BAR, PAIRS, WHITE, Box, Dashes, Label, Layout, font

RAMP_STEPS = 15
"""Shades between a label's background and its colour: 16 levels of coverage, as most text
renderers on screens use."""
PNG_COMPRESS_LEVEL = 1
"""zlib's fastest level: ~3 ms for a phone chart; level 6 makes the file a tenth smaller for twice
the time (Telegram re-encodes every photo anyway)."""
HATCH_PERIOD_PX = 14.0
HATCH_WIDTH_PX = 1.4
OUTLINE_PX = 1.2 * 100 / 72


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class _Palette:
    """Palette indices of the chart's flat colours and of each label's shades over its background.

    The colours the layout knows (:data:`bot.chart_layout.PAIRS`) come first, so their indices are
    the same in every chart and a label's shaded letters can be kept from one chart to the next.
    """

    def __init__(self, solids: tuple[str, ...], pairs: tuple[tuple[str, str], ...]) -> None:
        self.solids = {c: i for i, c in enumerate(solids)}
        self.steps = min(RAMP_STEPS, (256 - len(solids)) // len(pairs))
        self.colours: list[tuple[int, int, int]] = [_rgb(c) for c in solids]
        self.base: dict[tuple[str, str], int] = {}
        for bg, ink in pairs:
            self.base[bg, ink] = len(self.colours)
            (r0, g0, b0), (r1, g1, b1) = _rgb(bg), _rgb(ink)
            for q in range(1, self.steps + 1):
                t = q / self.steps
                self.colours.append((round(r0 + (r1 - r0) * t), round(g0 + (g1 - g0) * t), round(b0 + (b1 - b0) * t)))
        self.flat = [v for rgb in self.colours for v in rgb]

    @classmethod
    def of(cls, layout: Layout) -> _Palette:
        """The palette for a layout: the known colours, then any other it uses."""
        solids = [WHITE, BAND, LEVEL_BAR, GRID, *COLOURS.values()]
        pairs = list(PAIRS)
        for shape in layout.shapes:
            if isinstance(shape, Box):
                solids.append(shape.fill)
            elif isinstance(shape, Dashes):
                solids.append(shape.colour)
            elif isinstance(shape, Label):
                pairs.append((shape.background, shape.colour))
        return _palette(tuple(dict.fromkeys(solids)), tuple(dict.fromkeys(pairs)))


@lru_cache(maxsize=8)
def _palette(solids: tuple[str, ...], pairs: tuple[tuple[str, str], ...]) -> _Palette:
    return _Palette(solids, pairs)


@lru_cache(maxsize=64)
def _ramp(base: int, steps: int) -> bytes:
    """Coverage 0-255 → the index of its shade from ``base`` (0, white, where nothing is painted)."""
    return bytes(0 if v == 0 else base + math.ceil(v * steps / 255) - 1 for v in range(256))


@lru_cache(maxsize=1024)
def _letters(text: str, size: float, bold: bool, anchor: str, base: int, steps: int) -> tuple[Any, Any, int, int]:
    """A label's letters in the palette indices of its shades, the mask of the pixels they
    cover, and their offset from the anchor."""
    from PIL import Image, ImageDraw

    f = font(size, bold)
    x0, y0, x1, y1 = f.getbbox(text, anchor=anchor)
    coverage = Image.new("L", (max(x1 - x0, 1), max(y1 - y0, 1)), 0)
    ImageDraw.Draw(coverage).text((-x0, -y0), text, fill=255, font=f, anchor=anchor)
    return coverage.point(_ramp(base, steps)), coverage.point(_MASK), x0, y0


_MASK = bytes([0] + [255] * 255)


@lru_cache(maxsize=8)
def _hatch_tile(period: int, width: float) -> bytes:
    """One period of the "no evidence" stripes (rising to the right), as coverage 0-255."""
    out = bytearray()
    for j in range(period):
        for i in range(period):
            d = (i + j + 1) % period
            d = min(d, period - d) / math.sqrt(2)  # distance to the nearest stripe's centre line
            out.append(round(255 * max(0.0, min(1.0, width / 2 + 0.5 - d))))
    return bytes(out)


def paint_png(layout: Layout, scale: float = 1.0, dpi: float = 100) -> bytes:
    """The layout as a palette PNG, ``scale`` times its size (3 for print at 300 dpi)."""
    from PIL import Image, ImageDraw

    palette = _Palette.of(layout)
    width, height = round(layout.width * scale), round(layout.height * scale)
    canvas = Image.new("L", (width, height), palette.solids[WHITE])
    draw = ImageDraw.Draw(canvas)

    def px(v: float) -> int:
        return round(v * scale)

    for shape in layout.shapes:
        if isinstance(shape, Box):
            x0, y0, x1, y1 = px(shape.x0), px(shape.y0), px(shape.x1), px(shape.y1)
            if x1 <= x0 or y1 <= y0:
                continue
            if not shape.hatch:
                draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=palette.solids[shape.fill])
                continue
            _hatch(canvas, palette, (x0, y0, x1, y1), shape.fill, scale)
            line = max(1, px(OUTLINE_PX))
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=palette.solids[shape.fill], width=line)
        elif isinstance(shape, Dashes):
            half = max(1.0, shape.width * scale) / 2
            x0, x1 = round(shape.x * scale - half), round(shape.x * scale + half)
            y, end, ink = shape.y0 * scale, shape.y1 * scale, palette.solids[shape.colour]
            while y < end:
                top, bottom = round(y), round(min(y + shape.dash * scale, end))
                if bottom > top:
                    draw.rectangle((x0, top, x1 - 1, bottom - 1), fill=ink)
                y += (shape.dash + shape.gap) * scale
        else:
            base = palette.base[shape.background, shape.colour]
            shades, mask, ox, oy = _letters(shape.text, shape.size * scale, shape.bold, shape.align + "s",
                                            base, palette.steps)
            canvas.paste(shades, (px(shape.x) + ox, px(shape.y) + oy), mask)
    canvas.putpalette(palette.flat)
    buf = io.BytesIO()
    canvas.save(buf, "PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi))
    return buf.getvalue()


def _hatch(canvas: Any, palette: _Palette, box: tuple[int, int, int, int], colour: str, scale: float) -> None:
    x0, y0, x1, y1 = box
    period = max(3, round(HATCH_PERIOD_PX * scale))
    base = palette.base[WHITE, colour]
    canvas.paste(_stripes(x1 - x0, y1 - y0, period, HATCH_WIDTH_PX * scale, base, palette.steps), (x0, y0))


@lru_cache(maxsize=16)
def _stripes(width: int, height: int, period: int, line: float, base: int, steps: int) -> Any:
    """A box of "no evidence" stripes in palette indices (kept: every such bar is the same size)."""
    from PIL import Image

    tile = Image.frombytes("L", (period, period), _hatch_tile(period, line)).point(_ramp(base, steps))
    strip = Image.new("L", (width, height))
    for x in range(0, width, period):
        for y in range(0, height, period):
            strip.paste(tile, (x, y))
    return strip


def paint_svg(layout: Layout) -> bytes:
    """The layout as an SVG document (text as text, in DejaVu Sans or the reader's sans-serif)."""
    w, h = layout.width, layout.height
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.2f} {h:.2f}">',
        "<defs>"
        f'<pattern id="hatch" width="{HATCH_PERIOD_PX}" height="{HATCH_PERIOD_PX}" patternUnits="userSpaceOnUse">'
        f'<rect width="{HATCH_PERIOD_PX}" height="{HATCH_PERIOD_PX}" fill="{WHITE}"/>'
        f'<path d="M0,{HATCH_PERIOD_PX} L{HATCH_PERIOD_PX},0 M-2,2 L2,-2 M{HATCH_PERIOD_PX - 2},{HATCH_PERIOD_PX + 2} '
        f'L{HATCH_PERIOD_PX + 2},{HATCH_PERIOD_PX - 2}" stroke="{COLOURS[None]}" stroke-width="{HATCH_WIDTH_PX}"/>'
        "</pattern></defs>",
        f'<rect width="{w:.2f}" height="{h:.2f}" fill="{WHITE}"/>',
        '<g font-family="DejaVu Sans, Verdana, sans-serif">',
    ]
    anchors = {"l": "start", "r": "end", "m": "middle"}
    for s in layout.shapes:
        if isinstance(s, Box):
            if s.x1 <= s.x0 or s.y1 <= s.y0:
                continue
            geometry = f'x="{s.x0:.2f}" y="{s.y0:.2f}" width="{s.x1 - s.x0:.2f}" height="{s.y1 - s.y0:.2f}"'
            if s.hatch:
                out.append(f'<rect {geometry} fill="url(#hatch)" stroke="{s.fill}" stroke-width="{OUTLINE_PX:.2f}"/>')
            else:
                out.append(f'<rect {geometry} fill="{s.fill}"/>')
        elif isinstance(s, Dashes):
            out.append(
                f'<line x1="{s.x:.2f}" y1="{s.y0:.2f}" x2="{s.x:.2f}" y2="{s.y1:.2f}" stroke="{s.colour}" '
                f'stroke-width="{s.width:.2f}" stroke-dasharray="{s.dash:.2f} {s.gap:.2f}"/>'
            )
        else:
            weight = ' font-weight="bold"' if s.bold else ""
            out.append(
                f'<text x="{s.x:.2f}" y="{s.y:.2f}" font-size="{s.size:.2f}"{weight} fill="{s.colour}" '
                f'text-anchor="{anchors[s.align]}">{escape(s.text)}</text>'
            )
    out += ["</g>", "</svg>", ""]
    return "\n".join(out).encode("utf-8")
