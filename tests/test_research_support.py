"""Shared by the research tests: a study filled by several respondents, as the channels fill it.

Terminal respondents go through the real :class:`bot.terminal.TerminalInterview` with scripted
standard input; Telegram respondents are recorded the way the Telegram channel records them
(a ``telegram`` respondent with name and username, the same :class:`bot.interviews.Interviews`).
The answers come from a "maturity profile" between 0 (the least developed option everywhere) and
1 (the most developed), so respondents differ and the study has something to agree about.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORG_A = "Diskominfo Kabupaten Sléman"
ORG_B = "Kementerian Luar Negeri"
FREE_TEXT = "Kami membalas keluhan warga setiap pagi — termasuk pertanyaan tentang café dan naïve hoaks ({qid})."
IDENTITIES = {
    # Telegram respondents: (external id, name, username)
    "siti": ("987654321", "Siti Rahmawati", "siti_rahma"),
    "joko": ("123123123", "Joko Susilo", "joko_s_77"),
}
TERMINAL_USERS = ("budi.santoso", "dewi.lestari", "agus.prasetyo", "rina.wulandari", "tono.sugiarto")
RESEARCHER = 555001


def answer_line(q: Any, profile: float, organisation: str) -> str:
    """What a respondent with this maturity profile types for question ``q``."""
    if not q.answerable:
        return ""
    if q.type == "text":
        return organisation if q.variable == "organisation" else FREE_TEXT.format(qid=q.id)
    if q.type == "yes_no":
        return "1" if profile >= 0.5 else "2"
    if q.type == "single_choice":
        return str(round(profile * (len(q.choices) - 1)) + 1)
    if q.type == "multiple_choice":
        plain = [n for n, c in enumerate(q.choices, 1) if not c.exclusive]
        exclusive = [n for n, c in enumerate(q.choices, 1) if c.exclusive]
        if profile < 0.1 and exclusive:
            return str(exclusive[0])
        k = min(max(1, round(profile * len(plain))), q.max_choices or len(plain))
        return ",".join(str(n) for n in plain[-k:])
    if q.type == "scale":
        points = q.scale_points()
        return str(points[round(profile * (len(points) - 1))])
    if q.type == "number":
        low = int(q.min if q.min is not None else 0)
        high = int(q.max if q.max is not None else low + 10)
        return str(low + round(profile * (min(high, low + 10) - low)))
    raise AssertionError(q.type)


def script(
    flow: Any, profile: float, organisation: str, lang: str = "id", stop_after: int | None = None
) -> tuple[list[str], dict[str, Any]]:
    """The input lines of a whole interview (after consent) and the answers they record."""
    from interview_flows.answers import parse_text_answer
    from interview_flows.engine import Interview

    engine = Interview(flow)
    session = engine.new_session(lang)
    engine.start(session)
    lines: list[str] = []
    while session.state == "asking" and (stop_after is None or len(lines) < stop_after):
        q = engine.current(session)
        if q is None:  # the final check: send the answers
            lines.append("kirim" if lang == "id" else "send")
            engine.finish(session)
            break
        line = answer_line(q, profile, organisation)
        lines.append(line)
        if q.answerable:
            engine.answer(session, parse_text_answer(q, line, lang))
        else:
            engine.skip(session)
    return lines, dict(session.answers)


def run_terminal(
    store: Any, flow: Any, user: str, lines: list[str], code: str, organisation: str | None = None, lang: str = "id"
) -> Any:
    """One respondent through the real terminal interview, with ``lines`` as standard input."""
    from bot.terminal import TerminalInterview

    out = io.StringIO()
    run = TerminalInterview(
        store,
        flow,
        lang,
        stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
        stdout=out,
        user=user,
        study_code=code,
        organisation=organisation,
    )
    return run.run(new=True)


def run_telegram_like(
    store: Any,
    flow: Any,
    who: str,
    profile: float,
    organisation: str,
    code: str,
    stop_after: int | None = None,
    withdraw: bool = False,
) -> Any:
    """A Telegram respondent recorded as the Telegram channel records one."""
    from bot.interviews import Interviews, engine_of
    from interview_flows.answers import parse_text_answer

    external_id, name, username = IDENTITIES[who]
    rid = store.respondent("telegram", external_id, name=name, username=username, lang="id")
    interviews = Interviews(store)
    record = interviews.begin(rid, flow, "id", "telegram", study_code=code, chat_id=int(external_id))
    engine = engine_of(record)
    steps = 0
    while record.state == "asking" and (stop_after is None or steps < stop_after):
        q = engine.current(record.session)
        if q is None:  # the final check: send
            interviews.act(record, "finish", command="send")
        elif q.answerable:
            interviews.act(record, "answer", parse_text_answer(q, answer_line(q, profile, organisation), "id"))
        else:
            interviews.act(record, "skip")
        steps += 1
    if withdraw:
        interviews.act(record, "withdraw", command="/withdraw")
    return record


@dataclass
class Research:
    """The filled study: where it is, and what the tests expect to find (or not find) in it."""

    db: Path
    code: str
    sessions: dict[str, int] = field(default_factory=dict)
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)

    def store(self) -> Any:
        from bot.store import Store

        return Store.open(self.db)

    def secrets(self) -> list[str]:
        """Every identifying string a pseudonymous export must not contain."""
        found = [v for triple in IDENTITIES.values() for v in triple]
        return found + list(TERMINAL_USERS)


def build_research(root: Path) -> Research:
    """A study where organisations are asked: finished, partial, withdrawn and declined sessions."""
    from bot.research.studies import create_study, open_study
    from bot.store import Store
    from interview_flows.loader import load_flow

    db = root / "matang.db"
    store = Store.open(db)
    try:
        study = create_study(store, "Humas 2025 — uji", researchers=[RESEARCHER], code="humas2025")
        flow = load_flow(study.flow_id, study.flow_version)
        research = Research(db=db, code=study.code)
        plan = [("budi.santoso", 0.95, ORG_A), ("dewi.lestari", 0.6, ORG_A), ("agus.prasetyo", 0.2, ORG_B)]
        for user, profile, org in plan:
            open_study(store, study.code)
            lines, answers = script(flow, profile, org)
            record = run_terminal(store, flow, user, ["ya", *lines], study.code)
            assert record is not None and record.state == "finished", user
            research.sessions[user] = record.id
            research.expected[user] = answers
        record = run_telegram_like(store, flow, "siti", 0.7, ORG_A, study.code)
        assert record.state == "finished"
        research.sessions["siti"] = record.id
        research.expected["siti"] = dict(record.session.answers)
        # Partial: input ends after 6 answers (the terminal pauses the interview).
        lines, answers = script(flow, 0.5, ORG_B, stop_after=6)
        record = run_terminal(store, flow, "rina.wulandari", ["ya", *lines], study.code)
        assert record is not None and record.state == "paused"
        research.sessions["rina.wulandari"] = record.id
        research.expected["rina.wulandari"] = answers
        # Withdrawn after a few answers, on Telegram.
        record = run_telegram_like(store, flow, "joko", 0.4, ORG_B, study.code, stop_after=5, withdraw=True)
        assert record.state == "withdrawn"
        research.sessions["joko"] = record.id
        research.expected["joko"] = dict(record.session.answers)
        # Declined: consent refused.
        assert run_terminal(store, flow, "tono.sugiarto", ["tidak"], study.code) is None
        research.sessions["tono.sugiarto"] = store.db.execute("select max(id) from sessions").fetchone()[0]
        research.expected["tono.sugiarto"] = {}
    finally:
        store.close()
    return research
