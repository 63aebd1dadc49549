"""PDF reports: one respondent's assessment, or a study's assessment per organisation.

A report gives the level, the profile chart (:func:`bot.charts.render_chart`), every criterion's
rating — for a study with the ratings each respondent gave and how far they agree —, the criteria
that block the next level, the suggestions with their first steps, the notes, and the method
(flow and version, number of respondents, dates). Bahasa Indonesia or English; the text is set in
DejaVu Sans, embedded, so every accent and dash survives on any reader. fpdf2 is imported only
when a report is made.

>>> from bot.store import Store
>>> pdf = session_report(Store.open(":memory:"), 1)   # doctest: +SKIP
"""

from __future__ import annotations

import io
import struct
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from bot.research.studies import (
    Study,
    get_study,
    get_study_or_none,
    organisation_results,
    session_answers,
    session_organisation,
    study_status,
)
from bot.store import Store

FONT = "DejaVu"
RATING_ORDER = ("N", "P", "L", "F")

W: dict[str, dict[str, str]] = {
    "title_session": {
        "id": "Laporan Penilaian Kematangan Pemerintahan Terbuka",
        "en": "Open Government Maturity Assessment Report",
    },
    "title_study": {
        "id": "Laporan Studi: Kematangan Pemerintahan Terbuka",
        "en": "Study Report: Open Government Maturity",
    },
    "study": {"id": "Studi", "en": "Study"},
    "organisation": {"id": "Instansi", "en": "Organisation"},
    "session": {"id": "Sesi", "en": "Session"},
    "generated": {"id": "Dibuat", "en": "Generated"},
    "level": {"id": "Tingkat kematangan: {n} dari 5 — {name}", "en": "Maturity level: {n} of 5 — {name}"},
    "provisional": {
        "id": "Sementara: wawancara ini belum selesai; hasil dapat berubah.",
        "en": "Provisional: this interview is not finished yet; the result may change.",
    },
    "profile": {
        "id": "Profil: kapabilitas tingkat {c}, hasil (outcome) tingkat {o}. Kelengkapan bukti: {pct}%.",
        "en": "Profile: capability level {c}, outcome level {o}. Evidence: {pct}% of the criteria.",
    },
    "respondents_combined": {
        "id": "Gabungan jawaban {n} responden (median per kriteria).",
        "en": "Combined answers of {n} respondents (median per criterion).",
    },
    "criteria": {"id": "Penilaian per kriteria", "en": "Rating per criterion"},
    "criterion": {"id": "Kriteria", "en": "Criterion"},
    "rating": {"id": "Nilai", "en": "Rating"},
    "fulfilment": {"id": "Pemenuhan", "en": "Fulfilment"},
    "given": {"id": "Nilai responden (N/P/L/F)", "en": "Respondents' ratings (N/P/L/F)"},
    "agreement": {"id": "Kesepakatan", "en": "Agreement"},
    "disagree": {"id": "berbeda pendapat", "en": "disagreement"},
    "ratings_key": {
        "id": "N = belum ada (≤15%), P = sebagian (≤50%), L = sebagian besar (≤85%), "
        "F = penuh (>85%); – = belum ada jawaban yang mendukung. Kesepakatan: bagian responden "
        "yang memberi nilai terbanyak.",
        "en": "N = not yet (≤15%), P = partly (≤50%), L = largely (≤85%), "
        "F = fully (>85%); – = no answer gives evidence. Agreement: the share of respondents "
        "who gave the most common rating.",
    },
    "blocking": {"id": "Yang menghambat tingkat {n}", "en": "What keeps level {n} out of reach"},
    "no_blocking": {
        "id": "Tidak ada: ini tingkat tertinggi model.",
        "en": "Nothing: this is the model's highest level.",
    },
    "suggestions": {"id": "Saran perbaikan", "en": "Suggestions"},
    "first_step": {"id": "Langkah pertama", "en": "First step"},
    "no_suggestions": {"id": "Tidak ada saran tambahan.", "en": "No further suggestions."},
    "themes": {
        "id": "Hambatan yang disebut responden (tema otomatis)",
        "en": "Obstacles the respondent named (automatic themes)",
    },
    "no_themes": {"id": "Tidak ada hambatan yang disebut.", "en": "No obstacle named."},
    "ticked": {"id": "dipilih pada pertanyaan {q}", "en": "ticked in question {q}"},
    "themes_yours": {"id": "Hambatan yang Bapak/Ibu sebut", "en": "Obstacles you named"},
    "no_themes_yours": {"id": "Bapak/Ibu tidak menyebut hambatan.", "en": "You named no obstacle."},
    "ratings_key_words": {
        "id": "Nilai: belum ada (≤15%), sebagian (≤50%), sebagian besar (≤85%), penuh (>85%); – = belum ada "
        "jawaban yang mendukung.",
        "en": "Ratings: not yet (≤15%), partly (≤50%), largely (≤85%), fully (>85%); – = no answer gives "
        "evidence yet.",
    },
    "level_criterion": {"id": "Tingkat {n} · {name}", "en": "Level {n} · {name}"},
    "said_in": {"id": "dipilih Bapak/Ibu pada pertanyaan “{q}”", "en": "you ticked it in the question “{q}”"},
    "addresses_words": {"id": "Menjawab: {what}; berdasarkan jawaban Bapak/Ibu atas: {why}",
                        "en": "Addresses: {what}; rests on your answers to: {why}"},
    "m_flow_title": {"id": "Alur wawancara: {flow}, versi {version}", "en": "Interview flow: {flow}, version {version}"},
    "version_short": {"id": "versi {version}", "en": "version {version}"},
    "addresses": {"id": "menjawab {what}; berdasarkan {why}", "en": "addresses {what}; rests on {why}"},
    "notes": {"id": "Catatan", "en": "Notes"},
    "consistency": {"id": "Jawaban yang tidak sejalan", "en": "Answers that do not fit together"},
    "respondent_n": {"id": "Responden {n}", "en": "Respondent {n}"},
    "method": {"id": "Metode", "en": "Method"},
    "m_voice": {
        "id": "Jawaban suara: {voice} dari {answers} jawaban berupa rekaman ({sessions} wawancara, total {length});"
              " rekaman tidak ditranskripsi dan disertakan dalam ekspor.",
        "en": "Voice answers: {voice} of {answers} answers are recordings ({sessions} interviews, {length} in all);"
              " recordings are not transcribed and come with the exports.",
    },
    "m_no_voice": {
        "id": "Jawaban suara: tidak ada jawaban berupa rekaman.",
        "en": "Voice answers: no answer is a recording.",
    },
    "m_flow": {"id": "Alur wawancara: {flow} versi {version}", "en": "Interview flow: {flow} version {version}"},
    "m_model": {
        "id": "Model: Open Government Maturity Model (Lee & Kwak, 2012); aturan tingkat: {rule}.",
        "en": "Model: Open Government Maturity Model (Lee & Kwak, 2012); level rule: {rule}.",
    },
    "m_respondents": {"id": "Responden: {n}", "en": "Respondents: {n}"},
    "m_dates": {"id": "Wawancara: {first} s.d. {last}", "en": "Interviews: {first} to {last}"},
    "m_status": {
        "id": "Status studi: {invited} diundang, {started} mulai, {finished} selesai, {withdrawn} mengundurkan diri, "
        "{in_progress} belum selesai; median durasi {median} menit.",
        "en": "Study status: {invited} invited, {started} started, {finished} finished, {withdrawn} withdrawn, "
        "{in_progress} in progress; median duration {median} minutes.",
    },
    "m_combine": {
        "id": "Penilaian instansi memakai median pemenuhan tiap kriteria dari responden yang memberi bukti; "
        "hanya wawancara yang selesai (satu per responden, yang terakhir) yang dihitung.",
        "en": "The organisation's assessment uses the median fulfilment of each criterion over the respondents "
        "who gave evidence; only finished interviews count (one per respondent, the latest).",
    },
    "m_one": {
        "id": "Penilaian dari jawaban satu responden; bersifat indikatif.",
        "en": "Assessment from one respondent's answers; indicative only.",
    },
    "chart_missing": {"id": "(Grafik tidak tersedia.)", "en": "(Chart not available.)"},
    "page": {"id": "Halaman {n} dari {nb}", "en": "Page {n} of {nb}"},
    "version": {"id": "versi", "en": "version"},
    "comparison": {"id": "Perbandingan antarinstansi", "en": "Comparison across organisations"},
    "comparison_ratings": {
        "id": "Nilai per kriteria dan instansi",
        "en": "Rating per criterion and organisation",
    },
    "level_short": {"id": "Tingkat", "en": "Level"},
    "respondents_short": {"id": "Responden", "en": "Respondents"},
    "disagreement_col": {"id": "Tidak sepakat pada", "en": "Disagreement on"},
    "none": {"id": "tidak ada", "en": "none"},
    "unfinished_orgs": {
        "id": "Instansi yang baru memiliki wawancara belum selesai",
        "en": "Organisations with unfinished interviews only",
    },
    "unfinished_org": {"id": "{name}: {n} wawancara belum selesai", "en": "{name}: {n} unfinished interview(s)"},
    "st_partial": {"id": "belum selesai", "en": "not finished"},
    "st_withdrawn": {"id": "mengundurkan diri", "en": "withdrawn"},
    "rule_lenient": {"id": "longgar", "en": "lenient"},
    "rule_strict": {"id": "ketat", "en": "strict"},
    "less_than_minute": {"id": "kurang dari 1", "en": "less than 1"},
    "organisations": {"id": "Instansi dalam studi ini", "en": "Organisations in this study"},
    "not_given": {"id": "(instansi tidak disebutkan)", "en": "(organisation not given)"},
}


class ReportError(ValueError):
    """A report that cannot be made (unknown session, nothing finished yet); one line."""


@dataclass
class Section:
    """What one report section shows: an assessment and where it came from."""

    title: str | None
    assessment: Any
    individual: list[Any] = field(default_factory=list)
    provisional_status: str | None = None
    for_respondent: Any = None
    """The flow of a respondent's own report: the section then names criteria, ratings, themes and
    questions in words only (no criterion id, rating letter, theme or question id), as everything
    a respondent reads does. None in a researcher's report, where the ids stay (the key explains them)."""


def _w(key: str, lang: str, **values: Any) -> str:
    return W[key]["en" if lang == "en" else "id"].format(**values)


def _font_path(name: str) -> Path:
    return Path(str(resources.files("bot.fonts").joinpath(name)))


def _date(value: str | None) -> str:
    return value[:10] if value else "—"


# -- the document ------------------------------------------------------------------------------


class _Doc:
    """A4 pages in DejaVu Sans, with the few kinds of block a report needs."""

    def __init__(self, title: str, lang: str, footer: str = "") -> None:
        from fpdf import FPDF

        self.lang = lang
        page_words = W["page"]["en" if lang == "en" else "id"]

        class _Paged(FPDF):
            def footer(self) -> None:
                # Every page: what the report is about (study, date, flow version) and its number.
                self.set_y(-11)
                self.set_font(FONT, "", 8)
                self.set_text_color(90, 90, 90)
                self.cell(self.epw * 0.75, 5, footer, align="L")
                self.cell(self.epw * 0.25, 5, page_words.format(n=self.page_no(), nb="{nb}"), align="R")
                self.set_text_color(0, 0, 0)

        pdf = _Paged(format="A4", unit="mm")
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_font(FONT, "", str(_font_path("DejaVuSans.ttf")))
        pdf.add_font(FONT, "B", str(_font_path("DejaVuSans-Bold.ttf")))
        pdf.set_title(title)
        pdf.set_creator("Matang")
        pdf.set_lang("en" if lang == "en" else "id")
        pdf.set_creation_date(datetime.now(UTC))
        pdf.add_page()
        self.pdf = pdf

    @property
    def width(self) -> float:
        return self.pdf.epw

    def _ln(self) -> dict[str, Any]:
        from fpdf.enums import XPos, YPos

        return {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def heading(self, text: str, size: float = 14, space: float = 3) -> None:
        # Keep a heading with at least a few lines of what follows it.
        if self.pdf.will_page_break(size + 18):
            self.pdf.add_page()
        self.pdf.ln(space)
        self.pdf.set_font(FONT, "B", size)
        self.pdf.multi_cell(0, size * 0.5, text, align="L", **self._ln())
        self.pdf.ln(1)

    def para(self, text: str, size: float = 10, bold: bool = False, colour: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, size * 0.5, text, align="L", **self._ln())
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(1)

    def bullet(self, text: str, size: float = 10, indent: float = 5) -> None:
        self.pdf.set_font(FONT, "", size)
        x = self.pdf.l_margin
        self.pdf.set_x(x)
        self.pdf.cell(indent, size * 0.5, "•")
        self.pdf.multi_cell(self.width - indent, size * 0.5, text, align="L", **self._ln())
        self.pdf.ln(0.5)

    def image(self, png: bytes) -> None:
        width_px, height_px = struct.unpack(">II", png[16:24])
        w = self.width
        h = w * height_px / width_px
        # The chart is tall (a bar per criterion): shrink it into what is left of the page when
        # that is most of a page, rather than leave the first page nearly empty.
        left = self.pdf.page_break_trigger - self.pdf.get_y() - 1
        if h > left:  # a chart shrunk into a page's end would print its labels too small
            self.pdf.add_page()
            left = self.pdf.page_break_trigger - self.pdf.get_y() - 1
        if h > left:
            w, h = w * left / h, left
        self.pdf.image(io.BytesIO(png), x=self.pdf.l_margin + (self.width - w) / 2, w=w, h=h)
        self.pdf.ln(2)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], size: float = 8) -> None:
        self.pdf.set_font(FONT, "", size)
        from fpdf.fonts import FontFace

        with self.pdf.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=size * 0.5,
            first_row_as_headings=True,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 240)),
            borders_layout="HORIZONTAL_LINES",
            padding=1,
        ) as table:
            head = table.row()
            for text in header:
                head.cell(text)
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(text)
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


# -- building blocks -------------------------------------------------------------------------


def _criteria_rows(section: Section, lang: str) -> tuple[list[str], list[list[str]], list[float]]:
    from scoring.criteria import load_model
    from scoring.narrative import rating_words

    model = load_model()
    a = section.assessment
    several = len(section.individual) > 1
    flagged = set(getattr(a, "disagreements", ()))
    header = [_w("criterion", lang), _w("rating", lang), _w("fulfilment", lang)]
    widths = [90.0, 18.0, 22.0]
    if section.for_respondent is not None:
        widths = [82.0, 28.0, 20.0]  # the rating in words, never its letter
    elif several:
        header += [_w("given", lang), _w("agreement", lang)]
        widths = [70.0, 14.0, 20.0, 32.0, 28.0]
    rows = []
    for c in a.criteria:
        if c.level < 2 and c.fulfilment is None:
            continue
        name = model.criterion(c.id).name.get(lang)
        fulfilment = "–" if c.fulfilment is None else f"{round(c.fulfilment * 100)}%"
        if section.for_respondent is not None:
            rating = rating_words(c.rating, lang) if c.rating else "–"
            rows.append([_w("level_criterion", lang, n=c.level, name=name), rating, fulfilment])
            continue
        row = [f"{c.id} {name}", c.rating or "–", fulfilment]
        if several:
            given = [p.criterion(c.id).rating for p in section.individual]
            counts = Counter(r for r in given if r is not None)
            known = sum(counts.values())
            row.append(" / ".join(str(counts.get(r, 0)) for r in RATING_ORDER) if known else "–")
            if known:
                share = max(counts.values()) / known
                agreement = f"{round(share * 100)}% ({known})"
                if c.id in flagged:
                    agreement += f" — {_w('disagree', lang)}"
            else:
                agreement = "–"
            row.append(agreement)
        rows.append(row)
    return header, rows, widths


def _chart(doc: _Doc, assessment: Any, lang: str) -> None:
    try:
        from bot.charts import render_chart
    except ImportError:  # charts are a separate module; a report without one still says everything
        doc.para(_w("chart_missing", lang), size=9, colour=(90, 90, 90))
        return
    from bot.charts import PRINT_DPI, PRINT_ROW_HEIGHT_IN

    doc.image(render_chart(assessment, lang, phone=False, dpi=PRINT_DPI, row_height_in=PRINT_ROW_HEIGHT_IN))


def _section(doc: _Doc, section: Section, lang: str) -> None:

    a = section.assessment
    if section.title:
        doc.heading(section.title, size=15, space=4)
    doc.para(_w("level", lang, n=a.level, name=a.level_name.get(lang)), size=14, bold=True)
    if section.provisional_status:
        doc.para(_w("provisional", lang), size=10, colour=(160, 60, 0))
    if getattr(a, "respondents", 0) and len(section.individual) > 1:
        doc.para(_w("respondents_combined", lang, n=a.respondents))
    doc.para(_w("profile", lang, c=a.profile.capability, o=a.profile.outcome, pct=round(a.confidence * 100)))
    _chart(doc, a, lang)

    doc.heading(_w("criteria", lang), size=12)
    header, rows, widths = _criteria_rows(section, lang)
    doc.table(header, rows, widths)
    flow = section.for_respondent
    if flow is not None:
        _respondent_findings(doc, a, flow, lang)
    else:
        _researcher_findings(doc, a, lang)
    if a.notes:
        doc.heading(_w("notes", lang), size=12)
        for note in a.notes:
            doc.bullet(note.get(lang))
    # Answers that do not fit together, for the researcher: each respondent's own, named by the
    # questions involved (a combined assessment has none of its own).
    found = [(n, c) for n, one in enumerate(section.individual or [a], 1) for c in getattr(one, "consistency", ())]
    if found:
        doc.heading(_w("consistency", lang), size=12)
        many = len(section.individual) > 1
        for n, c in found:
            who = f"{_w('respondent_n', lang, n=n)}: " if many else ""
            which = "" if flow is not None else f" ({', '.join(c.questions)})"  # question ids: researchers only
            doc.bullet(f"{who}{c.note.get(lang)}{which}")


def _researcher_findings(doc: _Doc, a: Any, lang: str) -> None:
    """The key, blockers, themes and suggestions with their ids (a researcher's report)."""
    from scoring.narrative import rating_words

    doc.para(_w("ratings_key", lang), size=8, colour=(90, 90, 90))

    doc.heading(_w("blocking", lang, n=min(a.level + 1, 5)), size=12)
    if not a.blocking:
        doc.para(_w("no_blocking", lang))
    for b in a.blocking:
        doc.bullet(f"{b.id} {b.name.get(lang)}: {rating_words(b.rating, lang, letter=True)}")

    doc.heading(_w("themes", lang), size=12)
    themes = getattr(a, "themes", ())
    if not themes:
        doc.para(_w("no_themes", lang))
    for t in themes:
        said = [
            f"“{src.text}” ({src.question})" if src.text else _w("ticked", lang, q=src.question) for src in t.sources
        ]
        doc.bullet(f"{t.id} {t.label.get(lang)}: {'; '.join(said)}")

    doc.heading(_w("suggestions", lang), size=12)
    if not a.suggestions:
        doc.para(_w("no_suggestions", lang))
    for n, s in enumerate(a.suggestions, 1):
        why = f"{s.why.get(lang)}. " if getattr(s, "why", None) else ""
        doc.para(f"{n}. {why}{s.text.get(lang)}", size=10)
        doc.para(f"{_w('first_step', lang)}: {s.first_step.get(lang)}", size=9, colour=(40, 70, 110))
        if getattr(s, "because", ()):
            what = s.addresses or s.criterion or ""
            doc.para(_w("addresses", lang, what=what, why=", ".join(s.because)), size=8, colour=(90, 90, 90))


QUESTION_SHOWN_CHARS = 70
"""How much of a question's text the respondent's report quotes where it names the question."""


def _respondent_findings(doc: _Doc, a: Any, flow: Any, lang: str) -> None:
    """The key, blockers, themes and suggestions in the respondent's words: criteria and themes by
    their names, ratings in words, questions by their text (never an id, a letter or a key)."""
    from scoring.criteria import load_model
    from scoring.narrative import rating_words
    from scoring.themes import load_codebook

    doc.para(_w("ratings_key_words", lang), size=8, colour=(90, 90, 90))

    doc.heading(_w("blocking", lang, n=min(a.level + 1, 5)), size=12)
    if not a.blocking:
        doc.para(_w("no_blocking", lang))
    for b in a.blocking:
        doc.bullet(f"{b.name.get(lang)}: {rating_words(b.rating, lang)}")

    def question(qid: str) -> str:
        if qid not in flow._index:
            return ""
        text = " ".join(flow.question(qid).text.get(lang).split())
        return text if len(text) <= QUESTION_SHOWN_CHARS else text[: QUESTION_SHOWN_CHARS - 1].rsplit(" ", 1)[0] + "…"

    doc.heading(_w("themes_yours", lang), size=12)
    themes = getattr(a, "themes", ())
    if not themes:
        doc.para(_w("no_themes_yours", lang))
    for t in themes:
        said = []
        for src in t.sources:
            shown = f"“{src.text}”" if src.text else (_w("said_in", lang, q=question(src.question))
                                                    if question(src.question) else "")
            if shown and shown not in said:
                said.append(shown)
        doc.bullet(f"{t.label.get(lang)}: {'; '.join(said)}" if said else t.label.get(lang))

    model = load_model()
    theme_labels = {th.id: th.label for th in load_codebook().themes}

    def named(key: str) -> str:
        if key in model.by_id:
            return model.criterion(key).name.get(lang)
        label = theme_labels.get(key)
        return label.get(lang) if label is not None else ""

    doc.heading(_w("suggestions", lang), size=12)
    if not a.suggestions:
        doc.para(_w("no_suggestions", lang))
    for n, s in enumerate(a.suggestions, 1):
        why = f"{s.why.get(lang)}. " if getattr(s, "why", None) else ""
        doc.para(f"{n}. {why}{s.text.get(lang)}", size=10)
        doc.para(f"{_w('first_step', lang)}: {s.first_step.get(lang)}", size=9, colour=(40, 70, 110))
        what = named(s.addresses or s.criterion or "")
        asked = [f"“{q}”" for q in dict.fromkeys(question(qid) for qid in getattr(s, "because", ())) if q]
        if what and asked:
            doc.para(_w("addresses_words", lang, what=what, why="; ".join(asked)), size=8, colour=(90, 90, 90))


# -- the reports -----------------------------------------------------------------------------


def session_report(store: Store, session_id: int, lang: str | None = None) -> bytes:
    """The PDF report of one session (provisional when the interview is not finished).

    ``lang`` defaults to the language the interview was answered in. Raises :class:`ReportError`
    for an unknown session or a flow this installation no longer has.
    """
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_flow
    from scoring.assessment import assess

    session_report_check(store, session_id)
    row = next(store.db.query("select * from sessions where id = ?", [session_id]))
    lang = "en" if (lang or row["lang"]) == "en" else "id"
    try:
        flow = load_flow(row["flow_id"], row["flow_version"])
    except KeyError:
        raise ReportError(
            f"session {session_id}: flow {row['flow_id']} {row['flow_version']} is not installed"
        ) from None
    answers = engine_for(flow).effective_answers(session_answers(store, session_id))
    assessment = assess(flow, answers)
    study = get_study_or_none(store, row["study_code"]) if row["study_code"] else None
    organisation = session_organisation(
        row["organisation"] or (study.organisation if study else None),
        answers,
        flow.variables().get("organisation"),
    )
    when = _date(row["finished_at"] or row["updated_at"])
    footer = " · ".join(
        p
        for p in (
            f"{study.name} ({study.code})" if study else "",
            when,
            _w("version_short", lang, version=flow.version),
        )
        if p
    )
    doc = _Doc(_w("title_session", lang), lang, footer)
    doc.heading(_w("title_session", lang), size=17, space=0)
    meta = [flow.title.get(lang)]
    if study:
        meta.append(f"{_w('study', lang)}: {study.name} ({study.code})")
    if organisation:
        meta.append(f"{_w('organisation', lang)}: {organisation}")
    meta.append(f"{_w('session', lang)} {session_id} · {_date(row['finished_at'] or row['updated_at'])}")
    doc.para("\n".join(meta), size=10, colour=(60, 60, 60))
    provisional = None if row["state"] == "finished" else _w("st_partial", lang)
    _section(doc, Section(None, assessment, [assessment], provisional, for_respondent=flow), lang)
    doc.heading(_w("method", lang), size=12)
    doc.bullet(_w("m_flow_title", lang, flow=flow.title.get(lang), version=flow.version))
    doc.bullet(_w("m_model", lang, rule=_rule(assessment.rule, lang)))
    doc.bullet(_w("m_respondents", lang, n=1))
    doc.bullet(_w("m_dates", lang, first=_date(row["started_at"]), last=_date(row["finished_at"] or row["updated_at"])))
    doc.bullet(_w("m_one", lang))
    doc.bullet(f"{_w('generated', lang)}: {datetime.now(UTC).date().isoformat()}")
    return doc.output()


def study_report(store: Store, code: str, lang: str = "id") -> bytes:
    """The PDF report of a study: one section per organisation with its combined assessment.

    Raises :class:`~bot.research.studies.StudyError` for an unknown study and
    :class:`ReportError` when no interview of the study is finished yet.
    """
    lang = "en" if lang == "en" else "id"
    study = get_study(store, code)
    status = study_status(store, code)
    results = status.organisations or organisation_results(store, study)
    if not results:
        raise ReportError(f"study {code!r} has no finished interviews yet")
    footer = (
        f"{study.name} ({study.code}) · {datetime.now(UTC).date().isoformat()} · "
        f"{study.flow_id} {_w('version', lang)} {study.flow_version}"
    )
    doc = _Doc(_w("title_study", lang), lang, footer)
    doc.heading(_w("title_study", lang), size=17, space=0)
    doc.para(f"{_w('study', lang)}: {study.name} ({study.code})", size=11, bold=True)
    _comparison(doc, results, lang)
    unfinished = _unfinished_organisations(store, study, results)
    if unfinished:
        doc.heading(_w("unfinished_orgs", lang), size=12)
        for name, n in unfinished:
            doc.bullet(_w("unfinished_org", lang, name=_org_name(name, lang), n=n))
    for n, r in enumerate(results):
        if n:
            doc.pdf.add_page()
        title = _org_name(r.name, lang) if len(results) > 1 or study.asks_organisation else (study.organisation or None)
        _section(doc, Section(title, r.assessment, r.individual), lang)
    _study_method(doc, study, status, results, lang)
    return doc.output()


def _comparison(doc: _Doc, results: list[Any], lang: str) -> None:
    """Every organisation side by side: level, respondents, disagreement; then ratings per criterion."""
    doc.heading(_w("comparison", lang), size=12)
    rows = [
        [
            _org_name(r.name, lang),
            f"{r.assessment.level} — {r.assessment.level_name.get(lang)}",
            str(r.respondents),
            ", ".join(getattr(r.assessment, "disagreements", ())) or _w("none", lang),
        ]
        for r in results
    ]
    header = [
        _w("organisation", lang),
        _w("level_short", lang),
        _w("respondents_short", lang),
        _w("disagreement_col", lang),
    ]
    doc.table(header, rows, [60.0, 45.0, 22.0, 47.0])
    criteria = [c.id for c in results[0].assessment.criteria if c.level >= 2]
    per_table = 6  # organisations per table, so the columns stay readable on A4
    for start in range(0, len(results), per_table):
        chunk = results[start : start + per_table]
        doc.heading(_w("comparison_ratings", lang), size=10, space=1)
        head = [_w("criterion", lang)] + [_org_name(r.name, lang) for r in chunk]
        body = []
        for cid in criteria:
            body.append([cid] + [r.assessment.criterion(cid).rating or "–" for r in chunk])
        first = 34.0
        doc.table(head, body, [first] + [(doc.width - first) / len(chunk)] * len(chunk))


def _unfinished_organisations(store: Store, study: Study, results: list[Any]) -> list[tuple[str, int]]:
    """Organisations that have sessions in progress but no finished interview, with how many."""
    from bot.research.studies import UNKNOWN_ORGANISATION, declined_sql, organisation_key
    from interview_flows.loader import load_flow

    done = {organisation_key(r.name) for r in results}
    found: dict[str, tuple[str, int]] = {}
    for row in store.db.query(
        f"select s.id, s.organisation, s.flow_id, s.flow_version from sessions s where s.study_code = ?"
        f" and s.state in ('new', 'asking', 'paused') and not {declined_sql()}",
        [study.code],
    ):
        try:
            flow = load_flow(row["flow_id"], row["flow_version"])
        except KeyError:
            continue
        name = session_organisation(
            row["organisation"] or study.organisation,
            session_answers(store, row["id"]),
            flow.variables().get("organisation"),
        )
        key = organisation_key(name)
        if key in done:
            continue
        shown, n = found.get(key, (name or UNKNOWN_ORGANISATION, 0))
        found[key] = (shown, n + 1)
    return sorted(found.values(), key=lambda item: item[0].casefold())


def _rule(rule: str, lang: str) -> str:
    return _w(f"rule_{rule}", lang) if f"rule_{rule}" in W else rule


def _minutes_text(minutes: float | None, lang: str) -> str:
    """A duration in minutes as people write it (a decimal comma in Indonesian).

    >>> _minutes_text(12.5, "id"), _minutes_text(12.5, "en"), _minutes_text(0.0, "id"), _minutes_text(None, "en")
    ('12,5', '12.5', 'kurang dari 1', '–')
    """
    if minutes is None:
        return "–"
    if minutes < 1:
        return _w("less_than_minute", lang)
    text = f"{minutes:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang != "en" else text


def _org_name(name: str, lang: str) -> str:
    from bot.research.studies import UNKNOWN_ORGANISATION

    return _w("not_given", lang) if name == UNKNOWN_ORGANISATION else name


def _study_method(doc: _Doc, study: Study, status: Any, results: list[Any], lang: str) -> None:
    doc.heading(_w("method", lang), size=12)
    doc.bullet(_w("m_flow", lang, flow=study.flow_id, version=study.flow_version))
    rule = results[0].assessment.rule if results else "lenient"
    doc.bullet(_w("m_model", lang, rule=_rule(rule, lang)))
    doc.bullet(_w("m_respondents", lang, n=sum(r.respondents for r in results)))
    doc.bullet(_w("m_dates", lang, first=_date(status.first_at), last=_date(status.last_at)))
    doc.bullet(
        _w(
            "m_status",
            lang,
            invited=status.invited,
            started=status.started,
            finished=status.finished,
            withdrawn=status.withdrawn,
            in_progress=status.in_progress,
            median=_minutes_text(status.median_minutes, lang),
        )
    )
    doc.bullet(_w("m_combine", lang))
    doc.bullet(_voice_line(status, lang))
    doc.bullet(f"{_w('generated', lang)}: {datetime.now(UTC).date().isoformat()}")


def chart_data(
    store: Store,
    *,
    session_id: int | None = None,
    code: str | None = None,
    organisation: str | None = None,
    lang: str | None = None,
) -> tuple[Any, str]:
    """What ``matang chart`` draws, and one line saying what it is.

    A session's assessment from its answers (refused, like its report, when declined or
    withdrawn); a study's finished interviews combined, or one organisation's with
    ``organisation``. Raises :class:`ReportError` or :class:`~bot.research.studies.StudyError`.
    """
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_flow
    from scoring.assessment import assess
    from scoring.organisation import combine

    if session_id is not None:
        session_report_check(store, session_id)
        row = next(store.db.query("select * from sessions where id = ?", [session_id]))
        flow = load_flow(row["flow_id"], row["flow_version"])
        a = assess(flow, engine_for(flow).effective_answers(session_answers(store, session_id)))
        return a, f"session {session_id}: level {a.level}"
    study = get_study(store, code or "")
    results = organisation_results(store, study)
    if organisation is not None:
        from bot.research.studies import organisation_key

        results = [r for r in results if organisation_key(r.name) == organisation_key(organisation)]
        if not results:
            raise ReportError(f"study {study.code!r} has no finished interview from organisation {organisation!r}")
    if not results:
        raise ReportError(f"study {study.code!r} has no finished interviews yet")
    if len(results) == 1:
        r = results[0]
        return r.assessment, f"{r.name}: level {r.assessment.level}, {r.respondents} respondent(s)"
    people = [a for r in results for a in r.individual]
    a = combine(people)
    return a, f"study {study.code}, all organisations: level {a.level}, {len(people)} respondent(s)"


def session_report_check(store: Store, session_id: int) -> None:
    """Refuse (ReportError) a session that does not exist, was declined or was withdrawn."""
    from bot.research.studies import declined_sql

    row = next(
        store.db.query(f"select s.state, {declined_sql()} as declined from sessions s where s.id = ?", [session_id]),
        None,
    )
    if row is None:
        raise ReportError(f"unknown session {session_id}")
    if row["declined"]:
        raise ReportError(f"session {session_id} was declined (consent refused): it has no answers to report on")
    if row["state"] == "withdrawn":
        raise ReportError(
            f"session {session_id} was withdrawn by the respondent: no report is made from a withdrawn interview"
        )


def _voice_line(status: Any, lang: str) -> str:
    """How many of the study's answers are recordings (the method section)."""
    from bot.recordings import clock

    voice = getattr(status, "voice_answers", 0)
    if not voice:
        return _w("m_no_voice", lang)
    return _w("m_voice", lang, voice=voice, answers=max(status.answers, voice), sessions=status.voice_sessions,
              length=clock(status.voice_seconds))


def latest_session_of(store: Store, channel: str, external_id: str) -> int | None:
    """The id of a respondent's latest finished session (for "send me my report"), if any."""
    row = next(
        store.db.query(
            "select s.id from sessions s join respondents r on r.id = s.respondent_id"
            " where r.channel = ? and r.external_id = ? and s.state = 'finished' order by s.id desc limit 1",
            [channel, str(external_id)],
        ),
        None,
    )
    return int(row["id"]) if row else None


def write_report(data: bytes, out: str | Path) -> Path:
    """Write a report's bytes to ``out`` (atomically: a failed write leaves no half file)."""
    from bot.research.exports.base import atomic_file

    path = Path(out)
    with atomic_file(path, "wb") as fh:
        fh.write(data)
    return path


__all__ = [
    "ReportError",
    "chart_data",
    "latest_session_of",
    "session_report_check",
    "session_report",
    "study_report",
    "write_report",
]
