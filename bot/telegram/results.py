"""The result in a Telegram chat: short first, with buttons for the rest, and the chart.

A phone shows the level, one sentence why and the first three suggestions; the buttons under it
send the full explanation, every suggestion with its first step, or the PDF report. The chart is
a bonus: when it cannot be drawn or sent, that is logged and the person is told that /result
shows it again; the interview stays finished and nothing else is affected.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, CallbackQuery

from bot.interviews import assessment_of, flow_of, result_text
from bot.store import SessionRecord
from bot.telegram import keyboards as kb
from bot.telegram.delivery import quietly
from bot.texts import t

log = logging.getLogger("bot.telegram")
ChartMaker = Callable[[SessionRecord, str], Awaitable[bytes | None]]


def short_result_text(record: SessionRecord, lang: str, *, thanks: bool = False) -> str:
    """The short result (see :func:`scoring.narrative.render_short`), after the thanks when the
    interview just finished; an apology when scoring fails (the answers are saved)."""
    from scoring.narrative import render_short

    flow = flow_of(record)
    try:
        text = render_short(assessment_of(record), lang, flow)
    except Exception:  # a scoring failure must not lose the chat: the answers are saved
        log.exception("session %s: the assessment text failed", record.id)
        return t("tg_result_unavailable", lang)
    return (flow.thanks.get(lang) + "\n\n" + text) if thanks else text


async def send_short_result(bot: Bot, chat_id: int, record: SessionRecord, lang: str, *,
                            thanks: bool = False) -> None:
    """The short result with its three buttons."""
    await bot.send_message(chat_id, short_result_text(record, lang, thanks=thanks),
                           reply_markup=kb.result_keyboard(record.id, lang))


async def send_chart(bot: Bot, chat_id: int, record: SessionRecord, lang: str, make: ChartMaker) -> bool:
    """The chart as a photo; on failure (drawing or sending) log it, say /result shows it again,
    and carry on. True when the chart went out."""
    png = await make(record, lang)
    if png:
        try:
            await bot.send_photo(chat_id, png, caption=t("tg_chart_caption", lang))
            return True
        except Exception as exc:  # the result text is out already; the chart is a bonus
            log.warning("session %s: the chart could not be sent: %s: %s", record.id, type(exc).__name__, exc)
    await quietly(bot.send_message(chat_id, t("tg_chart_failed", lang)), "chart failed")
    return False


async def result_part(bot: Bot, query: CallbackQuery, chat_id: int, record: SessionRecord, part: str,
                      store: Any) -> None:
    """A button under a short result: the full explanation, every suggestion, or the PDF."""
    from scoring.narrative import render_suggestions

    lang = record.session.lang
    await quietly(query.answer(), "answerCallbackQuery")
    if part == "f":
        await bot.send_message(chat_id, result_text(record, lang))
    elif part == "s":
        await bot.send_message(chat_id, render_suggestions(assessment_of(record), lang))
    else:
        import io

        from bot.store import in_worker_thread

        data = await in_worker_thread(store, _session_pdf, record.id, lang)
        await bot.send_document(chat_id, io.BytesIO(data), filename=f"matang-report-{record.id}.pdf",
                                caption=t("tg_report_caption", lang))


def _session_pdf(store: Any, session_id: int, lang: str) -> bytes:
    from bot.research.reports import session_report

    return session_report(store, session_id, lang)
