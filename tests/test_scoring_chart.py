"""The chart: a 1080 px wide PNG (or a print PNG, or an SVG) from an assessment or its dict, every
label inside the picture and clear of the others, in the respondent's language; Pillow loaded only
to draw."""

from __future__ import annotations

import io
import itertools
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.chart_layout import COLOURS, LEVEL_BAR, PAIRS, WIDTH_PX, Box, fit, layout_chart, text_width
from interview_flows.texts import Text
from scoring.assessment import assess
from scoring.criteria import load_model
from scoring.organisation import combine
from tests.test_scoring_support import all_rated, answers_for, criteria_flow

FLOW = criteria_flow()
MODEL = load_model()
SVG = "{http://www.w3.org/2000/svg}"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{v:02x}" for v in rgb)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def _at_level(n: int, **changes: str | None) -> dict[str, str | None]:
    """Ratings that put a unit at level ``n``: F up to it, P just above, N beyond."""
    ratings = {c.id: "F" if c.level <= n else "P" if c.level == n + 1 else "N" for c in MODEL.criteria if c.scored}
    ratings.update({k.replace("_", ".", 1): v for k, v in changes.items()})
    return ratings


def _assessments() -> dict[str, object]:
    low = assess(FLOW, answers_for(all_rated("N")))
    three = assess(FLOW, answers_for(_at_level(3, L4_platform=None, L3_respond="L")))
    five = assess(FLOW, answers_for(all_rated("F")))
    return {"level 1": low, "level 3": three, "level 5": five, "organisation": combine([low, three, five])}


ASSESSMENTS = _assessments()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_chart_is_a_phone_width_png_from_object_or_dict(lang: str) -> None:
    from bot.charts import render_chart

    ratings = all_rated("L")
    ratings.update({"L4.platform": None, "L5.measured": "N", "L4.coproduce": "F"})
    a = assess(FLOW, answers_for(ratings))
    png = render_chart(a, lang)
    width, height = _png_size(png)
    # A phone shows at most 4:5 whole in a chat; a report page takes every criterion, taller.
    assert width == WIDTH_PX and width < height <= width * 5 // 4
    assert render_chart(a.to_dict(), lang) == png
    assert _png_size(render_chart(a, lang, phone=False))[1] > height


def test_chart_of_level_one_and_of_an_organisation() -> None:
    from bot.charts import render_chart

    low = ASSESSMENTS["level 1"]
    assert _png_size(render_chart(low, "id"))[0] == 1080
    org = ASSESSMENTS["organisation"]
    assert _png_size(render_chart(org, "en"))[0] == 1080
    assert any(label.text.startswith("3 respondents ·") for label in layout_chart(org.to_dict(), "en", MODEL).labels)
    alone = combine([low]).to_dict()
    assert any(label.text.startswith("1 respondent ·") for label in layout_chart(alone, "en", MODEL).labels)
    assert any(label.text.startswith("1 responden ·") for label in layout_chart(alone, "id", MODEL).labels)


def test_the_print_png_is_the_same_chart_three_times_as_large() -> None:
    from bot.charts import PRINT_DPI, render_chart

    a = ASSESSMENTS["level 3"]
    screen = _png_size(render_chart(a, "id", phone=False))
    printed = _png_size(render_chart(a, "id", phone=False, dpi=PRINT_DPI))
    assert printed == (screen[0] * 3, screen[1] * 3)


def test_every_rating_colour_is_painted_and_the_bars_are_where_the_layout_puts_them() -> None:
    from PIL import Image

    from bot.charts import render_chart

    ratings = _at_level(3, L3_respond="L", L3_staff="P", L3_solicit="N", L4_platform=None)
    a = assess(FLOW, answers_for(ratings))
    png = render_chart(a, "id", phone=False)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    painted = {_hex(rgb) for _, rgb in image.getcolors(maxcolors=1 << 16)}
    assert {COLOURS[r] for r in ("N", "P", "L", "F")} <= painted
    layout = layout_chart(a.to_dict(), "id", MODEL, phone=False)
    bars = [s for s in layout.shapes if isinstance(s, Box) and s.fill in {LEVEL_BAR, *COLOURS.values()}
            and not s.hatch and s.x1 - s.x0 >= 3]
    assert len(bars) >= 20
    for box in bars:  # each bar's left end (the dashed lines and the value labels are further right)
        assert _hex(image.getpixel((round(box.x0) + 2, round((box.y0 + box.y1) / 2)))) == box.fill


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("phone", [True, False], ids=["phone", "page"])
@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name", list(ASSESSMENTS))
def test_every_label_is_inside_the_picture_and_clear_of_every_other(name: str, lang: str, phone: bool) -> None:
    from bot.charts import PRINT_ROW_HEIGHT_IN

    for row_height in (0.78, PRINT_ROW_HEIGHT_IN):
        layout = layout_chart(ASSESSMENTS[name].to_dict(), lang, MODEL, phone=phone, row_height_in=row_height)
        labels = layout.labels
        assert len(labels) >= 10
        for label in labels:
            x0, y0, x1, y1 = label.bbox
            assert 0 <= x0 < x1 <= layout.width and 0 <= y0 < y1 <= layout.height, label
        for a, b in itertools.combinations(labels, 2):
            assert not _overlap(a.bbox, b.bbox), (a.text, b.text)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_labels_speak_the_respondents_language_and_show_no_internal_key(lang: str) -> None:
    ids = {c.id for c in MODEL.criteria}
    for a in ASSESSMENTS.values():
        texts = [label.text for label in layout_chart(a.to_dict(), lang, MODEL, phone=False).labels]
        words = " ".join(texts)
        assert ("Tingkat" in words) == (lang == "id") and ("Level" in words) == (lang == "en")
        names = {c.name.get(lang) for c in MODEL.criteria}
        assert names & set(texts)
        assert not re.search(r"\bAnda\b|dont_know|\b[NPLF]\b", words)
        assert not ids & set(re.findall(r"L\d\.\w+", words))


def test_labels_are_painted_where_the_layout_says_in_their_colour() -> None:
    from PIL import Image

    from bot.charts import render_chart

    a = ASSESSMENTS["level 3"]
    image = Image.open(io.BytesIO(render_chart(a, "en"))).convert("RGB")
    for label in layout_chart(a.to_dict(), "en", MODEL).labels:
        box = tuple(round(v) for v in label.bbox)
        colours = {_hex(rgb) for _, rgb in image.crop(box).getcolors(maxcolors=1 << 16)}
        assert label.colour in colours, label.text  # the letters' cores, at full coverage
    # The labels' colour pairs are the palette's fixed ones: their letters are kept between charts.
    for a in ASSESSMENTS.values():
        for label in layout_chart(a.to_dict(), "id", MODEL).labels:
            assert (label.background, label.colour) in PAIRS


def _long_model():
    """The model with level and criterion names much longer than any real one, in Indonesian."""
    long = "Keterlibatan publik yang menyeluruh lintas kanal, lintas instansi dan berkelanjutan"
    levels = tuple(
        lv.model_copy(update={"name": Text(id=f"{long} {lv.level}", en=lv.name.en)}) for lv in MODEL.levels
    )
    criteria = tuple(
        c.model_copy(update={"name": Text(id=f"{c.name.id}: {long}", en=c.name.en)}) for c in MODEL.criteria
    )
    return MODEL.model_copy(update={"levels": levels, "criteria": criteria})


def test_long_indonesian_names_are_shortened_not_overlapping_or_cut_off() -> None:
    model = _long_model()
    a = ASSESSMENTS["organisation"].to_dict()
    a = {**a, "level_name": {"id": model.level(a["level"]).name.id, "en": "x"}}
    layout = layout_chart(a, "id", model)
    labels = layout.labels
    for label in labels:
        x0, y0, x1, y1 = label.bbox
        assert x0 >= 0 and x1 <= layout.width, label.text
    for a_, b in itertools.combinations(labels, 2):
        assert not _overlap(a_.bbox, b.bbox), (a_.text, b.text)
    shortened = [label for label in labels if label.text.endswith("…")]
    assert len(shortened) >= 8  # the title, the level headings and the criteria drawn
    mark = next(label for label in labels if label.text == "tingkat instansi")
    heading = next(label for label in labels if label.text.startswith("✓ Tingkat 3"))
    assert heading.bbox[2] < mark.bbox[0]  # the unit's level heading stops before "tingkat instansi"


def test_fit_shrinks_a_little_then_cuts_at_a_word() -> None:
    text = "Pengamanan konten publik dan tanggapan"
    width = text_width(text, 25.0)
    assert fit(text, 25.0, width + 1) == (text, 25.0)
    same, smaller = fit(text, 25.0, width * 0.9)
    assert same == text and 25.0 * 0.8 <= smaller < 25.0
    cut, size = fit(text, 25.0, width * 0.5)
    assert cut.endswith("…") and cut[:-1] in text and text_width(cut, size) <= width * 0.5
    assert cut[:-1].strip() == cut[:-1]  # at a word: no space before the ellipsis


def test_svg_is_valid_xml_with_the_labels_as_text() -> None:
    from bot.charts import render_chart

    a = ASSESSMENTS["level 3"]
    svg = render_chart(a, "en", phone=False, fmt="svg")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and float(root.get("width")) == WIDTH_PX
    texts = {t.text for t in root.iter(f"{SVG}text")}
    layout = layout_chart(a.to_dict(), "en", MODEL, phone=False)
    assert texts == {label.text for label in layout.labels}
    assert "Level 3 — Open Participation" in texts and "no evidence" in texts
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert {COLOURS["F"], COLOURS["P"], COLOURS["N"], "url(#hatch)"} <= fills
    with pytest.raises(ValueError):
        render_chart(a, "en", fmt="jpg")


def test_importing_the_chart_module_does_not_import_pillow() -> None:
    code = "import sys, bot.charts, scoring.assessment; print('PIL' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "False False"

