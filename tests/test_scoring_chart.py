"""The chart: a 1080 px wide PNG from an assessment or its dict; matplotlib loaded only to draw."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.assessment import assess
from scoring.organisation import combine
from tests.test_scoring_support import all_rated, answers_for, criteria_flow

FLOW = criteria_flow()


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_chart_is_a_phone_width_png_from_object_or_dict(lang: str) -> None:
    from bot.charts import WIDTH_PX, render_chart

    ratings = all_rated("L")
    ratings.update({"L4.platform": None, "L5.measured": "N", "L4.coproduce": "F"})
    a = assess(FLOW, answers_for(ratings))
    png = render_chart(a, lang)
    width, height = _png_size(png)
    # A phone shows at most 4:5 whole in a chat; a report page takes every criterion, taller.
    assert width == WIDTH_PX and width < height <= width * 5 // 4
    assert _png_size(render_chart(a.to_dict(), lang)) == (width, height)
    assert _png_size(render_chart(a, lang, phone=False))[1] > height


def test_chart_of_level_one_and_of_an_organisation() -> None:
    from bot.charts import render_chart

    low = assess(FLOW, answers_for(all_rated("N")))
    assert _png_size(render_chart(low, "id"))[0] == 1080
    org = combine([low, assess(FLOW, answers_for(all_rated("F")))])
    assert _png_size(render_chart(org, "en"))[0] == 1080


def test_importing_the_chart_module_does_not_import_matplotlib() -> None:
    code = "import sys, bot.charts, scoring.assessment; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "False"
