"""The interview service shared by every channel: load, apply one event, assess, commit.

Channels (terminal, Telegram) turn input into one call here and render the result; the state,
the rules and the records are the same whichever channel the respondent uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.store import SessionRecord, Store
from interview_flows.answers import AnswerError
from interview_flows.engine import Change, Interview, engine_for
from interview_flows.loader import load_flow, register_flow
from interview_flows.schema import Flow

EVENTS = ("answer", "skip", "back", "edit", "pause", "resume", "finish", "withdraw")
FIXED_VARIABLE = "organisation"
"""A study that names its organisation answers the flow's organisation question itself."""


@dataclass
class Outcome:
    """What one event did: the changes recorded, and whether the interview just finished."""

    record: SessionRecord
    changes: list[Change]
    finished: bool = False


def _make_resolvable(flow: Flow) -> None:
    # A session is reopened by flow id and version; a flow given directly (read from a file)
    # must be findable that way for the rest of the process.
    try:
        load_flow(flow.id, flow.version)
    except KeyError:
        register_flow(flow)


def flow_of(record: SessionRecord) -> Flow:
    """The flow (at the version) a session was started with."""
    return load_flow(record.session.flow_id, record.session.flow_version)


def engine_of(record: SessionRecord) -> Interview:
    """The shared engine of a session's flow and version."""
    return engine_for(flow_of(record))


class Interviews:
    """Start interviews and apply events to them, committing each before the caller replies."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(
        self,
        respondent_id: int,
        flow: Flow,
        lang: str,
        channel: str,
        *,
        study_code: str | None = None,
        organisation: str | None = None,
        chat_id: int | None = None,
        consent: bool = True,
    ) -> SessionRecord:
        """Create a session and commit it: started when consent was given, otherwise withdrawn at
        once with nothing recorded but the refusal."""
        _make_resolvable(flow)
        engine = engine_for(flow)
        session = engine.new_session(lang)
        opening = engine.start(session) if consent else engine.withdraw(session)
        if consent:
            opening += pass_fixed(session, organisation, engine, "start")
        return self.store.create_session(
            respondent_id,
            session,
            channel,
            study_code=study_code,
            organisation=organisation if consent else None,
            chat_id=chat_id,
            changes=[Change("consent", new="given" if consent else "refused"), *opening],
        )

    def refuse(self, respondent_id: int, flow: Flow, lang: str, channel: str, **where: Any) -> SessionRecord:
        """Record only that consent was refused (see :meth:`begin`)."""
        return self.begin(respondent_id, flow, lang, channel, consent=False, **where)

    def act(
        self,
        record: SessionRecord,
        event: str,
        value: Any = None,
        *,
        command: str | None = None,
        update_id: int | None = None,
    ) -> Outcome:
        """Apply one event and commit it (with the assessment when the interview finishes).

        Raises :class:`AnswerError` and records nothing when the event is refused.
        """
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        engine = engine_of(record)
        was_open = record.session.state != "finished"
        if event == "edit" and record.organisation and _fixed(engine, value):
            raise AnswerError("fixed_by_study")
        # The event restores the session itself when it is refused; what a study answers itself
        # (pass_fixed) comes after it and may be refused too, undoing the event with it.
        before = record.session.snapshot() if record.organisation else None
        method = getattr(engine, event)
        changes = method(record.session, value) if event in ("answer", "edit") else method(record.session)
        if before is not None:
            try:
                changes += pass_fixed(record.session, record.organisation, engine, event)
            except AnswerError:
                record.session.restore(before)
                raise
        finished = was_open and record.session.state == "finished"
        if event in ("answer", "skip", "edit", "back"):
            record.draft = []
        if finished:
            record.assessment = assess_record(record)
            record.remind_at = None
        self.store.save(record, changes, command=command, update_id=update_id)
        return Outcome(record, changes, finished)

    def set_language(self, record: SessionRecord, lang: str) -> None:
        """Change the interview language (answers are kept: they are values, not texts)."""
        record.session.lang = lang
        self.store.save(record, [Change("language", new=lang)])


def pass_fixed(session: Any, organisation: str | None, engine: Interview, event: str) -> list[Change]:
    """Pass over the question a study answers itself: answered with the study's organisation on
    the way forward, stepped over on the way back; the respondent is never asked it."""
    changes: list[Change] = []
    if not organisation:
        return changes
    while session.state == "asking":
        q = engine.current(session)
        if q is None or q.variable != FIXED_VARIABLE:
            break
        if event == "back" and engine.previous(session) is not None:
            changes += engine.back(session)
        else:
            changes += engine.answer(session, organisation[: q.max_length])
    return changes


def _fixed(engine: Interview, question_id: Any) -> bool:
    q = engine.flow._index.get(str(question_id))
    return q is not None and q[1].variable == FIXED_VARIABLE


def assessment_of(record: SessionRecord) -> Any:
    """The :class:`scoring.assessment.Assessment` of a session's effective answers.

    Scoring is pure and takes well under a millisecond, so it is recomputed from the recorded
    answers rather than rebuilt from the stored JSON.
    """
    from scoring.assessment import assess

    flow = flow_of(record)
    return assess(flow, engine_for(flow).effective_answers(record.session))


def assess_record(record: SessionRecord) -> dict[str, Any]:
    """The assessment of a session's effective answers, as the shared JSON shape."""
    return assessment_of(record).to_dict()


def result_text(record: SessionRecord, lang: str | None = None) -> str:
    """The assessment as people read it, in the respondent's language."""
    from scoring.narrative import render_text

    return render_text(assessment_of(record), lang or record.session.lang, flow_of(record))


__all__ = [
    "AnswerError",
    "Interviews",
    "Outcome",
    "assess_record",
    "assessment_of",
    "engine_of",
    "flow_of",
    "result_text",
]
