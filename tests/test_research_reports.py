"""PDF reports, opened with pypdf: the level, the suggestions, the method, Indonesian text intact."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from .test_research_support import ORG_A, Research, build_research


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Research:
    """A filled study in its own database (built once for this module)."""
    return build_research(tmp_path_factory.mktemp("research"))


def text_of(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    # Lines wrap anywhere; compare with whitespace collapsed.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def squash(text: str) -> str:
    return " ".join(text.split())


def assessment_of(research, who: str):
    from interview_flows.loader import load_flow
    from scoring.assessment import assess

    return assess(load_flow("ogmm-social-media"), research.expected[who])


def test_session_report_has_level_suggestions_and_method(research):
    from bot.research.reports import session_report

    store = research.store()
    try:
        pdf = session_report(store, research.sessions["dewi.lestari"], "id")
    finally:
        store.close()
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    a = assessment_of(research, "dewi.lestari")
    assert f"Tingkat kematangan: {a.level} dari 5 — {a.level_name.id}" in text
    assert a.suggestions, "the fixture should leave something to suggest"
    for s in a.suggestions:
        assert squash(s.text.id)[:60] in text
        assert squash(s.first_step.id)[:40] in text
    # The respondent's report names the interview by its title, never by the flow's id.
    assert "Alur wawancara: Kematangan Pemerintahan Terbuka dalam Pengelolaan Media Sosial, versi 1.1.0" in text
    assert "ogmm-social-media" not in text
    assert ORG_A in text  # "Sléman": the accent survives the embedded font and extraction
    assert "Penilaian per kriteria" in text and "Metode" in text


def test_the_font_is_embedded(research):
    from pypdf import PdfReader

    from bot.research.reports import session_report

    store = research.store()
    try:
        pdf = session_report(store, research.sessions["budi.santoso"], "en")
    finally:
        store.close()
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]
            fonts.add(str(font["/BaseFont"]))
    assert any("DejaVu" in f for f in fonts)
    assert "Maturity level:" in text_of(pdf)


def test_study_report_combines_each_organisation_with_agreement(research):
    from bot.research.reports import study_report
    from bot.research.studies import study_status

    store = research.store()
    try:
        pdf = study_report(store, research.code, "id")
        orgs = {o.name: o for o in study_status(store, research.code).organisations}
    finally:
        store.close()
    text = text_of(pdf)
    combined = orgs[ORG_A].assessment
    assert f"Tingkat kematangan: {combined.level} dari 5 — {combined.level_name.id}" in text
    assert "Gabungan jawaban 3 responden" in text
    assert "Nilai responden (N/P/L/F)" in text and "Kesepakatan" in text
    assert ORG_A in text and "Kementerian Luar Negeri" in text
    assert "Responden: 4" in text and "Alur wawancara: ogmm-social-media versi 1.1.0" in text
    for s in combined.suggestions:
        assert squash(s.text.id)[:60] in text
    if combined.disagreements:
        assert "berbeda pendapat" in text


def test_study_report_in_english(research):
    from bot.research.reports import study_report

    store = research.store()
    try:
        text = text_of(study_report(store, research.code, "en"))
    finally:
        store.close()
    assert "Study Report: Open Government Maturity" in text and "Maturity level:" in text
    assert "Suggestions" in text and "Method" in text


def test_unfinished_session_report_is_marked_provisional(research):
    from bot.research.reports import ReportError, session_report

    store = research.store()
    try:
        text = text_of(session_report(store, research.sessions["rina.wulandari"], "en"))
        with pytest.raises(ReportError, match="unknown session"):
            session_report(store, 99999)
    finally:
        store.close()
    assert "Provisional: this interview is not finished yet; the result may change." in text


def test_report_command_writes_a_pdf_and_refuses_ambiguity(research, tmp_path):
    env = {**os.environ, "MATANG_DB": str(research.db)}
    out = tmp_path / "study.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "--study", research.code, "--out", str(out), "--lang", "id"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and "wrote" in done.stdout
    both = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "--study", research.code, "--session", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert both.returncode == 2 and "exactly one" in both.stderr
    session = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "report",
            "--session",
            str(research.sessions["siti"]),
            "--out",
            str(tmp_path / "s.pdf"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert session.returncode == 0, session.stderr
    assert "Tingkat kematangan" in text_of((tmp_path / "s.pdf").read_bytes())


def test_a_study_with_nothing_finished_has_no_report(tmp_path):
    from bot.research.reports import ReportError, study_report
    from bot.research.studies import create_study
    from bot.store import Store

    store = Store.open(tmp_path / "m.db")
    try:
        create_study(store, "Kosong", code="empty01")
        with pytest.raises(ReportError, match="no finished interviews"):
            study_report(store, "empty01")
    finally:
        store.close()
