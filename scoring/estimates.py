"""Figures a respondent gave, said with how they were obtained: measured or estimated.

The response time is asked in hours, after whether it is measured at all (flow variable
``response_time_basis``). An assessment that uses the figure says which it is, and says hours
over two days in days, so "168" reads as "about a week, by your estimate".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from interview_flows.schema import DONT_KNOW, Flow
from interview_flows.texts import Text

MEASURED = {"measured": "measured", "sometimes": "counted"}
"""Answers of the basis question that mean the figure comes from a count; anything else is an estimate."""


def duration_words(hours: float) -> Text:
    """Hours as people say them: hours up to two days, then days, then weeks.

    >>> duration_words(6).en, duration_words(72).id, duration_words(168).en
    ('about 6 hours', 'sekitar 3 hari', 'about a week')
    """
    if hours <= 48:
        n = f"{hours:g}"
        return Text(id=f"sekitar {n.replace('.', ',')} jam", en=f"about {n} hour{'s' if hours != 1 else ''}")
    days = round(hours / 24)
    if days % 7 == 0:
        weeks = days // 7
        return Text(
            id=f"sekitar {'satu' if weeks == 1 else weeks} minggu",
            en="about a week" if weeks == 1 else f"about {weeks} weeks",
        )
    return Text(id=f"sekitar {days} hari", en=f"about {days} days")


def response_time_note(flow: Flow, answers: Mapping[str, Any]) -> Text | None:
    """A note saying the response time used in the assessment and whether it was measured or
    estimated; None when the flow or the answers have no response time.

    >>> from interview_flows.loader import load_flow
    >>> flow = load_flow("ogmm-social-media")
    >>> response_time_note(flow, {"response_time_hours": 168, "response_time_measured": "not_measured"}).en
    'The response time to simple questions used in this assessment: about a week, by your estimate (it is not measured).'
    """
    qid, basis_q = _questions(flow)
    hours = answers.get(qid) if qid else None
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        return None
    basis = answers.get(basis_q) if basis_q else None
    if basis in MEASURED:
        kind = "measured"
    elif basis_q is None:
        kind = "older"
    elif basis in (None, DONT_KNOW, "not_measured"):
        kind = "estimated"
    else:
        return None
    return _note(kind, float(hours))


_QUESTIONS: dict[int, tuple[Flow, str | None, str | None]] = {}


def _questions(flow: Flow) -> tuple[str | None, str | None]:
    """The flow's questions for the response time and for how it is known (once per flow)."""
    known = _QUESTIONS.get(id(flow))
    if known is None or known[0] is not flow:
        variables = flow.variables()
        if len(_QUESTIONS) > 64:
            _QUESTIONS.clear()
        known = _QUESTIONS[id(flow)] = (
            flow,
            variables.get("response_time_hours"),
            variables.get("response_time_basis"),
        )
    return known[1], known[2]


@lru_cache(maxsize=4096)
def _note(kind: str, hours: float) -> Text:
    # The same figures recur (24 hours, a week): each note is written once.
    said = duration_words(hours)
    if kind == "measured":
        return Text(
            id=f"Waktu tanggapan untuk pertanyaan sederhana yang dipakai dalam penilaian: {said.id}, menurut catatan unit.",
            en=f"The response time to simple questions used in this assessment: {said.en}, from the unit's records.",
        )
    if kind == "older":
        # An older flow did not ask; its question asked for a rough estimate.
        return Text(
            id=f"Waktu tanggapan yang dipakai dalam penilaian: {said.id}, menurut perkiraan Bapak/Ibu.",
            en=f"The response time used in this assessment: {said.en}, by your estimate.",
        )
    return Text(
        id=f"Waktu tanggapan untuk pertanyaan sederhana yang dipakai dalam penilaian: {said.id}, menurut perkiraan Bapak/Ibu (tidak diukur).",
        en=f"The response time to simple questions used in this assessment: {said.en}, by your estimate (it is not measured).",
    )
