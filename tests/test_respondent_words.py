"""No internal key reaches a respondent: every screen of a whole interview, in both languages.

A respondent reads questions, hints, the review, the result (short, full, every suggestion) and
their PDF report. None of it may show a criterion id (``L2.publish``), a rating letter (N/P/L/F
standing alone), an option key (``dont_know``), a question id, a theme id or the flow's id. The
interview runs for real: in the terminal on scripted standard input, and in Telegram through the
fake Bot API with every result button pressed; the PDF's text is read back with pypdf.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.store import Store
from interview_flows.loader import load_flow
from scoring.criteria import load_model
from scoring.themes import load_codebook

from .telegram_helpers import answer, asked, consent, matang_bot, open_record, question_message, send_answers
from .test_research_support import answer_line

FLOW = load_flow("ogmm-social-media")
TYPED = {"id": "Kami membalas setiap pesan warga pada hari yang sama.", "en": "We answer every message on the same day."}
LETTER = re.compile(r"(?<![\w.'’/&-])[NPLF](?![\w.'’/&-])")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def leaks(text: str, lang: str) -> list[str]:
    """Every internal key found in a text a respondent reads."""
    found = []
    model = load_model()
    for cid in {c.id for c in model.criteria}:
        if cid in text:
            found.append(f"criterion id {cid}")
    found += [f"criterion-like id {m}" for m in re.findall(r"\bL[1-5]\.[a-z_]+", text)]
    found += [f"rating letter {m.group()!r} in …{text[max(0, m.start() - 30):m.end() + 30]!r}…"
              for m in LETTER.finditer(text)]
    keys = {"dont_know", FLOW.id}
    keys |= {q.id for q in FLOW.questions if "_" in q.id}
    keys |= {c.value for q in FLOW.questions for c in q.choices if "_" in c.value}
    found += [f"key {k}" for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)]
    if lang == "id":  # theme ids are English words: in an Indonesian text they can only be keys
        found += [f"theme id {th.id}" for th in load_codebook().themes
                  if re.search(rf"\b{re.escape(th.id)}\b", text)]
    return found


def terminal_lines(lang: str) -> list[str]:
    """A whole interview typed in the terminal: a 'don't know' where offered, a review on the way."""
    from interview_flows.engine import Interview

    engine = Interview(FLOW)
    s = engine.new_session(lang)
    engine.start(s)
    lines: list[str] = []
    while s.state == "asking":
        q = engine.current(s)
        if q is None:  # the final check: look at the answers once, then send them
            lines += ["1", "kirim" if lang == "id" else "send"]
            engine.finish(s)
            break
        if q.type == "text":
            line = "Diskominfo Kota Contoh" if q.variable == "organisation" else TYPED[lang]
        elif q.dont_know and q.type == "single_choice" and len(lines) % 3 == 0:
            line = "tidak tahu" if lang == "id" else "don't know"
        else:
            line = answer_line(q, 0.6, "Diskominfo Kota Contoh")
        lines.append(line)
        if len(lines) == 6:
            lines.append("tinjau" if lang == "id" else "review")
        from interview_flows.answers import parse_text_answer

        if q.answerable:
            engine.answer(s, parse_text_answer(q, line, lang))
        else:
            engine.skip(s)
    return lines


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_terminal_interview_and_the_session_report_show_no_internal_key(tmp_path: Path, lang: str) -> None:
    from bot.research.reports import session_report
    from bot.terminal import TerminalInterview

    lines = terminal_lines(lang)
    store = Store.open(tmp_path / "t.db")
    try:
        out = io.StringIO()
        consent_word = "ya" if lang == "id" else "yes"
        run = TerminalInterview(store, FLOW, lang, stdin=io.StringIO("".join(f"{x}\n" for x in [consent_word, *lines])),
                                stdout=out, user="respondent")
        record = run.run(new=True)
        assert record is not None and record.state == "finished"
        screen = out.getvalue()
        assert "dont_know" not in screen and ("Tidak tahu" in screen or "Don't know" in screen)
        report = pdf_text(session_report(store, record.id, lang))
    finally:
        store.close()
    # The respondent's own typed words are echoed back; they hold no key either.
    assert leaks(screen, lang) == []
    # A terminal cannot record: it never offers or mentions voice answers.
    assert not [w for w in ("suara", "voice", "🎙", "rekaman suara", "recording") if w in screen.casefold()]
    assert leaks(report, lang) == []
    # The report still says everything, in words: the criteria by name, ratings, the suggestions.
    model = load_model()
    assert model.criterion("L2.publish").name.get(lang) in report
    assert ("sebagian besar" if lang == "id" else "largely") in report


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_telegram_interview_and_every_result_button_show_no_internal_key(api, tmp_path, lang):
    from bot.research.studies import create_study
    from bot.texts import t

    db = tmp_path / "m.db"
    setup = Store.open(db)
    create_study(setup, "Kata-kata", code="words1")
    setup.close()
    async with matang_bot(api, db) as (_, store):
        user = api.user(3400 + (lang == "en"), language_code=lang)
        await consent(user, lang, start="/start words1")
        steps = 0
        while (record := open_record(store, user.id)) is not None and record.state == "asking":
            record = await asked(user, store)
            from bot.interviews import engine_of

            q = engine_of(record).current(record.session)
            if q is None:  # the final check: look at the answers, then send them
                user.skip()
                await user.press_button(t("tg_check_review_button", lang), question_message(user, record))
                await user.wait_for(lambda m: (m.text or "").startswith("<b>" + t("review_title", lang)))
                await send_answers(user, store)
                break
            value = None
            if q.type == "text":
                value = "Diskominfo Kota Contoh" if q.variable == "organisation" else TYPED[lang]
            elif q.dont_know and q.type in ("single_choice", "scale") and steps % 4 == 0:
                value = "dont_know"
            await answer(user, store, value)
            steps += 1
            if steps == 5:
                user.skip()
                await user.send("/review")
                await user.wait_for(lambda m: (m.text or "").startswith("<b>" + t("review_title", lang)))
        await user.wait_for(lambda m: m.kind == "photo", timeout=15)  # the chart, after the short result
        (short,) = [m for m in user.messages if t("tg_result_full", lang) in [b.text for row in m.buttons for b in row]]
        for label in ("tg_result_full", "tg_result_tips"):
            user.skip()
            await user.press_button(t(label, lang), short)
            await user.next_message(timeout=15)
        user.skip()
        await user.press_button(t("tg_result_pdf", lang), short)
        pdf = await user.wait_for(lambda m: m.kind == "document", timeout=30)
        await user.send("/help")
        await user.next_message()
        texts = [m.plain_text for m in user.messages] + [
            e.message.plain_text for e in user.events if e.kind in ("sent", "edited")]
    assert steps > 30
    everything = "\n".join(texts)
    assert ("Tidak tahu" if lang == "id" else "Don't know") in everything
    assert leaks(everything, lang) == []
    assert leaks(pdf_text(pdf.document), lang) == []
