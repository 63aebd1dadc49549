"""Reports as printed and charts as files: refusals, page numbers, comparison, language, print quality."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from .test_research_support import ORG_A, ORG_B, Research, build_research

# English words that must not appear in an Indonesian report (all seen in reports before).
ENGLISH = ("lenient", "partial", "status:", "finished", "withdrawn", "level", "your", "page", "respondents", "rating")


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Research:
    return build_research(tmp_path_factory.mktemp("print"))


@pytest.fixture(scope="module")
def study_pdf(research: Research) -> bytes:
    from bot.research.reports import study_report

    store = research.store()
    try:
        return study_report(store, research.code, "id")
    finally:
        store.close()


def matang(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=120)


def pages_text(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("who", ["joko", "tono.sugiarto"])
def test_report_of_a_declined_or_withdrawn_session_is_refused(research, tmp_path, who):
    out = tmp_path / "r.pdf"
    run = matang("report", "--db", str(research.db), "--session", str(research.sessions[who]), "--out", str(out))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and ("declined" in lines[0] or "withdrawn" in lines[0])
    assert not out.exists()
    chart = matang(
        "chart",
        "--db",
        str(research.db),
        "--session",
        str(research.sessions[who]),
        "--out",
        str(out.with_suffix(".png")),
    )
    assert chart.returncode == 2


def test_every_page_has_its_number_and_a_footer(study_pdf, research):
    texts = pages_text(study_pdf)
    assert len(texts) > 1
    for n, text in enumerate(texts, 1):
        assert f"Halaman {n} dari {len(texts)}" in text
        assert f"({research.code})" in text and "ogmm-social-media versi" in text


def test_study_report_compares_every_organisation_and_lists_unfinished_ones(research, tmp_path):
    import shutil

    from bot.research.reports import study_report
    from bot.store import Store
    from interview_flows.loader import load_flow

    from .test_research_support import run_telegram_like

    copy = tmp_path / "copy.db"
    shutil.copy(research.db, copy)
    store = Store.open(copy)
    try:
        # A third organisation whose only interview is still under way.
        flow = load_flow("ogmm-social-media")
        run_telegram_like(store, flow, "joko", 0.5, "Dinas Kominfo Bantul", research.code, stop_after=4)
        text = " ".join(" ".join(t.split()) for t in pages_text(study_report(store, research.code, "en")))
    finally:
        store.close()
    assert "Comparison across organisations" in text
    comparison = text[text.index("Comparison across organisations") :]
    assert ORG_A in comparison and ORG_B in comparison
    assert "Organisations with unfinished interviews only" in text
    assert "Dinas Kominfo Bantul: 1 unfinished interview(s)" in text


def test_indonesian_report_has_no_english_words(study_pdf, research):
    from bot.research.reports import session_report

    store = research.store()
    try:
        texts = [" ".join(pages_text(study_pdf))]
        for who in ("budi.santoso", "rina.wulandari"):
            texts.append(" ".join(pages_text(session_report(store, research.sessions[who], "id"))))
    finally:
        store.close()
    for text in texts:
        words = set(re.findall(r"[a-z:]+", text.lower()))
        assert not words & set(ENGLISH), words & set(ENGLISH)
        assert "0.0 menit" not in text and "tingkat Anda" not in texts[0]


def test_pdf_charts_are_at_least_300_dpi_and_labels_at_least_8_pt(study_pdf):
    """Read where each chart is placed on the page: its resolution there, and its labels' size."""
    from pypdf import PdfReader

    from bot.charts import DPI, WIDTH_PX

    layout_width_pt = WIDTH_PX / DPI * 72  # the chart is laid out 10.8 in wide
    smallest_label_pt = 15  # bot.charts: legend, value labels and thresholds
    reader = PdfReader(io.BytesIO(study_pdf))
    found = 0
    for page in reader.pages:
        content = page.get_contents().get_data().decode("latin-1")
        placed = {
            name: float(w) for w, name in re.findall(r"q ([\d.]+) 0 0 [\d.]+ [\d.]+ [\d.]+ cm /(\S+) Do Q", content)
        }
        for image in page.images:
            width_pt = placed[image.name.rsplit(".", 1)[0].lstrip("/")]
            found += 1
            assert image.image.width / (width_pt / 72) >= 300  # dots per inch as printed
            assert smallest_label_pt * width_pt / layout_width_pt >= 8  # points as printed
    assert found >= 2  # one chart per organisation


def test_matang_chart_writes_png_and_svg(research, tmp_path):
    png, svg = tmp_path / "org.png", tmp_path / "all.svg"
    run = matang("chart", "--db", str(research.db), "--study", research.code, "--org", ORG_A, "--out", str(png))
    assert run.returncode == 0, run.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"{ORG_A}: level" in run.stdout
    run = matang("chart", "--db", str(research.db), "--study", research.code, "--out", str(svg), "--lang", "en")
    assert run.returncode == 0, run.stderr
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    one = matang(
        "chart",
        "--db",
        str(research.db),
        "--session",
        str(research.sessions["budi.santoso"]),
        "--out",
        str(tmp_path / "s.png"),
    )
    assert one.returncode == 0 and (tmp_path / "s.png").stat().st_size > 10_000
    bad = matang("chart", "--db", str(research.db), "--study", research.code, "--org", "Nowhere", "--out", str(png))
    assert bad.returncode == 2 and "Nowhere" in bad.stderr
    wrong = matang("chart", "--db", str(research.db), "--study", research.code, "--out", str(tmp_path / "x.jpg"))
    assert wrong.returncode == 2
