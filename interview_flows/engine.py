"""The interview engine: one shared ``transitions`` machine per flow, driving light session objects.

The machine holds the lifecycle (``new → asking ⇄ paused → finished``, ``withdrawn`` from any open
state); which question is asked is the session's ``cursor``, always derived from the flow's order
and its ``relevant`` conditions, so skip logic lives in the flow and nowhere else. Once nothing
is left to ask the session stays ``asking`` with no cursor: the final check, where the answers
are reviewed and changed until ``finish`` submits them (:meth:`Interview.checking`). Every event
either applies completely and returns the :class:`Change` records to log, or raises
:class:`~interview_flows.answers.AnswerError` and leaves the session exactly as it was.
The engine does no I/O.

>>> from interview_flows.loader import load_flow
>>> engine = Interview(load_flow("ogmm-social-media"))
>>> s = engine.new_session("en")
>>> _ = engine.start(s)
>>> s.state, s.cursor == engine.flow.questions[0].id
('asking', True)
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from interview_flows.answers import (
    Answer,
    AnswerError,
    answer_parts,
    is_media_placeholder,
    is_thin,
    replace_first_part,
    validate_answer,
    with_part,
)
from interview_flows.expressions import Expression, parse
from interview_flows.schema import DONT_KNOW, Flow, Question

STATES = ["new", "asking", "paused", "finished", "withdrawn"]
OPEN_STATES = ("new", "asking", "paused")


@dataclass(eq=False)
class Session:
    """One respondent's interview: where it stands and what was answered.

    ``eq=False`` because transitions keys models by identity; two sessions are never "equal".
    """

    flow_id: str
    flow_version: str
    lang: str = "id"
    state: str = "new"
    cursor: str | None = None
    answers: dict[str, Answer] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)

    def snapshot(self) -> dict[str, Any]:
        """The session as plain data (for storing and for restoring after a refused event)."""
        return {
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "lang": self.lang,
            "state": self.state,
            "cursor": self.cursor,
            "answers": copied(self.answers),
            "skipped": sorted(self.skipped),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Put the session back to a :meth:`snapshot`."""
        self.flow_id = data["flow_id"]
        self.flow_version = data["flow_version"]
        self.lang = data["lang"]
        self.state = data["state"]
        self.cursor = data["cursor"]
        self.answers = copied(dict(data["answers"]))
        self.skipped = set(data["skipped"])


_ATOMS = (str, int, float, bool, type(None))


def copied(value: Any) -> Any:
    """A copy of answers (JSON-like data: dicts, lists and plain values) that shares nothing
    mutable with them; as ``copy.deepcopy``, without its bookkeeping (two snapshots are taken of
    every event, and deepcopy was a tenth of the bot's CPU per answer). Anything else is handed
    to ``copy.deepcopy``.

    >>> a = {"q": ["x", "y"], "r": {"parts": [{"kind": "text", "text": "t"}]}}
    >>> b = copied(a); b["q"].append("z"); b["r"]["parts"][0]["text"] = "u"; a == copied(a)
    True
    """
    if isinstance(value, dict):
        return {key: item if type(item) in _ATOMS else copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [item if type(item) in _ATOMS else copied(item) for item in value]
    if type(value) in _ATOMS:
        return value
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Change:
    """One thing an event did, for the append-only event log."""

    kind: str  # answer, change, skip, state
    question_id: str | None = None
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class Progress:
    """Where an interview stands, as shown to the respondent: question ``position`` of ``total``.

    ``total`` is the longest path through the flow (every answerable question that some answers
    would ask), fixed for the flow, so it never grows. ``position`` is counted back from the end
    along the longest path still open: ``total`` minus the questions that may still come after
    this one. Each step forward leaves at least one question behind, so the position never goes
    back on a forward step; skip logic that rules questions out makes it jump ahead, and the last
    question is always ``total/total``.
    """

    position: int
    total: int

    @property
    def percent(self) -> int:
        """How far along, in whole per cent (100 only once nothing is left)."""
        return round(100 * (self.position - 1) / max(self.total, 1))

    def __str__(self) -> str:
        return f"{self.position}/{self.total}"


@dataclass(frozen=True)
class ReviewItem:
    """One answered (or skipped) question, for review and editing."""

    question: Question
    value: Answer | None
    skipped: bool


class Interview:
    """The engine for one flow. Build it once per flow (see :func:`engine_for`) and share it."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._conditions: dict[str, Expression] = {q.id: parse(q.relevant) for q in flow.questions if q.relevant}
        self._relevance = tuple((q.id, self._conditions.get(q.id)) for q in flow.questions)
        self._telling: dict[str, list[Any]] = {}
        self._may_cache: dict[tuple[str, tuple[str, ...], str], bool] = {}
        # Asked on every answer (progress): the names of each condition in order, and the
        # questions from each position on, worked out once per flow.
        self._names = {qid: tuple(sorted(cond.names)) for qid, cond in self._conditions.items()}
        self._open_from = [frozenset(q.id for q in flow.questions[i:]) for i in range(len(flow.questions))]
        everything = {q.id for q in flow.questions}
        # The longest path: every answerable question some answers would ask.
        self._longest = max(1, sum(1 for q in flow.questions if q.answerable and self._may_apply(q.id, {}, everything)))
        self.machine = Machine(
            model=None,
            states=STATES,
            initial=None,
            auto_transitions=False,
            send_event=True,
            transitions=[
                {"trigger": "start", "source": "new", "dest": "asking", "after": self._move_on},
                # answer/skip/edit set the values first; "advance" then finds the next question.
                {
                    "trigger": "advance",
                    "source": "asking",
                    "dest": "asking",
                    "conditions": self._has_pending,
                    "after": self._move_on,
                },
                # Nothing left to ask: the final check (still asking, no question), where the
                # respondent reviews, changes or submits (``finish``).
                {"trigger": "advance", "source": "asking", "dest": "asking", "after": self._clear_cursor},
                {
                    "trigger": "back",
                    "source": "asking",
                    "dest": "asking",
                    "conditions": self._has_previous,
                    "after": self._move_back,
                },
                {"trigger": "jump", "source": "asking", "dest": "asking"},
                {"trigger": "pause", "source": "asking", "dest": "paused"},
                {"trigger": "resume", "source": "paused", "dest": "asking"},
                {
                    "trigger": "finish",
                    "source": "asking",
                    "dest": "finished",
                    "conditions": self._can_finish,
                    "after": self._clear_cursor,
                },
                {"trigger": "withdraw", "source": list(OPEN_STATES), "dest": "withdrawn", "after": self._clear_cursor},
            ],
        )

    # -- queries ---------------------------------------------------------------------------

    def new_session(self, lang: str = "id") -> Session:
        """A session not yet started, in ``lang``."""
        return Session(flow_id=self.flow.id, flow_version=self.flow.version, lang=lang)

    def is_relevant(self, question_id: str, answers: Mapping[str, Any]) -> bool:
        """Whether a question is asked, given these answers (``dont_know`` counts as no value)."""
        cond = self._conditions.get(question_id)
        if cond is None:
            return True
        return cond.evaluate(_known(answers))

    def current(self, session: Session) -> Question | None:
        """The question being asked, or None. While a probe is asked this is the probe as an
        optional open question with the same id, so every channel shows it like any question."""
        if not session.cursor:
            return None
        q = self.flow.question(session.cursor)
        if self.probing(session):
            return probe_question(q)
        return q

    def checking(self, session: Session) -> bool:
        """Whether every question is answered and the respondent is at the final check: the
        answers can be reviewed and changed (``edit``, ``back``) before ``finish`` submits them."""
        return session.state == "asking" and session.cursor is None

    def probing(self, session: Session) -> bool:
        """Whether the question being asked is the follow-up (probe) of a thin open answer."""
        if not session.cursor:
            return False
        return needs_probe(self.flow.question(session.cursor), session.answers.get(session.cursor))

    def pending(self, session: Session) -> Question | None:
        """The first relevant question in flow order that is neither answered nor skipped, or
        whose thin open answer still waits for its follow-up."""
        known = _known(session.answers)
        for q in self.flow.questions:
            if q.id in session.answers and needs_probe(q, session.answers[q.id]):
                cond = self._conditions.get(q.id)
                if cond is None or cond.evaluate(known):
                    return q
                continue
            if q.id in session.answers or q.id in session.skipped:
                continue
            cond = self._conditions.get(q.id)
            if cond is None or cond.evaluate(known):
                return q
        return None

    def previous(self, session: Session) -> Question | None:
        """The answered or skipped question asked before the current one (notes are passed over)."""
        if session.cursor is None and session.state != "asking":
            return None
        # At the final check (no cursor) the previous question is the last one answered.
        end = len(self.flow.questions) if session.cursor is None else self.flow.position(session.cursor)
        known = _known(session.answers)
        for q in reversed(self.flow.questions[:end]):
            if not q.answerable or (q.id not in session.answers and q.id not in session.skipped):
                continue
            cond = self._conditions.get(q.id)
            if cond is None or cond.evaluate(known):
                return q
        return None

    def effective_answers(self, session_or_answers: Session | Mapping[str, Any]) -> dict[str, Answer]:
        """Answers to questions that apply (an answer whose question no longer applies is kept
        in the record but ignored), in flow order."""
        answers = session_or_answers.answers if isinstance(session_or_answers, Session) else session_or_answers
        known = _known(answers)
        out: dict[str, Answer] = {}
        # Exports ask this for every session of a study: the questions and their conditions are
        # paired once per flow (see _relevance) rather than looked up per question.
        for qid, cond in self._relevance:
            if qid in answers and (cond is None or cond.evaluate(known)):
                out[qid] = answers[qid]
        return out

    def progress(self, session: Session) -> Progress:
        """The position shown for the current question (see :class:`Progress`).

        Questions that may still come are those after the cursor whose condition could hold for
        some answers to the questions from the cursor on (their answers may still be given or
        changed; those before it are taken as they are). Answered ones count too, so going back
        shows a smaller number. With no question being asked (finished), the position is the total.
        """
        total = self._longest
        if session.cursor is None:
            return Progress(total, total)
        start = self.flow.position(session.cursor)
        # Answers from the cursor on may still change (back keeps them until then): they are open.
        open_ids = self._open_from[start]
        known = {k: v for k, v in _known(session.answers).items() if k not in open_ids}
        ahead = sum(
            1 for q in self.flow.questions[start + 1 :] if q.answerable and self._may_apply(q.id, known, open_ids)
        )
        return Progress(max(1, total - ahead), total)

    def _may_apply(self, question_id: str, known: Mapping[str, Any], open_ids: Set[str]) -> bool:
        """Whether a question's condition could hold, given the known answers, for some answers
        to the open questions it names (tried over each one's telling values)."""
        cond = self._conditions.get(question_id)
        if cond is None:
            return True
        names = self._names[question_id]
        # A name neither known nor open is a question passed over: it has no value, and keeps none.
        free = tuple(n for n in names if n in open_ids)
        # The answer depends only on the named questions: remembered per flow (a few hundred keys).
        key = (question_id, free, repr([known.get(n) for n in names if n not in open_ids]))
        cached = self._may_cache.get(key)
        if cached is None:
            if len(self._may_cache) > 4096:  # numbers or texts in conditions: keep it bounded
                self._may_cache.clear()
            cached = self._may_cache[key] = self._satisfiable(cond, known, list(free))
        return cached

    def _satisfiable(self, cond: Expression, known: Mapping[str, Any], free: list[str]) -> bool:
        if not free:
            return cond.evaluate(known)
        trial = dict(known)
        for values in itertools.product(*(self._telling_values(n) for n in free)):
            for name, value in zip(free, values, strict=True):
                if value is None:
                    trial.pop(name, None)
                else:
                    trial[name] = value
            if cond.evaluate(trial):
                return True
        return False

    def _telling_values(self, question_id: str) -> list[Any]:
        """Answers that can change how conditions on a question come out: no answer, each
        choice, all choices together, and each literal conditions compare it with (±1)."""
        cached = self._telling.get(question_id)
        if cached is not None:
            return cached
        values: list[Any] = [None]
        entry = self.flow._index.get(question_id)
        q = entry[1] if entry else None
        if q is not None and q.choices:
            single = [c.value for c in q.choices]
            if q.type == "multiple_choice":
                values += [[v] for v in single] + [[c.value for c in q.choices if not c.exclusive]]
            else:
                values += single
        for cond in self._conditions.values():
            for node_name, literal in cond.compared_values():
                if node_name == question_id and literal not in values:
                    values.append(literal)
        for number in sorted(
            {
                lit
                for cond in self._conditions.values()
                if question_id in cond.names
                for lit in cond.literals
                if isinstance(lit, int | float) and not isinstance(lit, bool)
            }
        ):
            values += [number - 1, number, number + 1]
        self._telling[question_id] = values
        return values

    def review(self, session: Session) -> list[ReviewItem]:
        """The answers so far (relevant questions only), in flow order, each one editable."""
        known = _known(session.answers)
        items = []
        for q in self.flow.questions:
            if not q.answerable or (q.id not in session.answers and q.id not in session.skipped):
                continue
            cond = self._conditions.get(q.id)
            if cond is None or cond.evaluate(known):
                items.append(ReviewItem(q, session.answers.get(q.id), q.id not in session.answers))
        return items

    # -- events ----------------------------------------------------------------------------

    def start(self, session: Session) -> list[Change]:
        """Begin the interview at the first question."""
        return self._apply(session, "start", [Change("state", new="asking")])

    def answer(self, session: Session, value: Any) -> list[Change]:
        """Answer the current question with ``value`` (already a value, see :func:`validate_answer`)."""
        q = self._asking(session)
        if self.probing(session):
            return self._answer_probe(session, q, value)
        if isinstance(value, dict) and value == session.answers.get(q.id):
            # An answer in parts kept as it is (Enter on a question shown again): nothing to check.
            clean: Answer = value
        else:
            clean = validate_answer(q, value)
        if q.type == "text" and isinstance(clean, str):
            # A changed first answer keeps its follow-up: the probe is never asked twice.
            clean = replace_first_part(session.answers.get(q.id), clean)

        def apply() -> list[Change]:
            old = session.answers.get(q.id)
            session.answers[q.id] = clean
            session.skipped.discard(q.id)
            if old is None:
                return [Change("answer", q.id, None, clean)]
            if old == clean:
                return []
            return [Change("change", q.id, old, clean)]

        return self._apply(session, "advance", apply)

    def _answer_probe(self, session: Session, q: Question, value: Any) -> list[Change]:
        text = validate_answer(probe_question(q), value)

        def apply() -> list[Change]:
            old = session.answers[q.id]
            session.answers[q.id] = with_part(old, {"kind": "probe", "text": text})
            return [Change("probe", q.id, old, session.answers[q.id])]

        return self._apply(session, "advance", apply)

    def skip(self, session: Session) -> list[Change]:
        """Skip the current question (a note: continue) when it allows it. A probe can always be
        skipped: the answer keeps its first part and records that the follow-up was passed."""
        q = self._asking(session)
        if self.probing(session):

            def passed() -> list[Change]:
                old = session.answers[q.id]
                session.answers[q.id] = with_part(old, {"kind": "probe", "skipped": True})
                return [Change("probe_skip", q.id, old, session.answers[q.id])]

            return self._apply(session, "advance", passed)
        if not q.skippable:
            raise AnswerError("not_skippable")

        def apply() -> list[Change]:
            old = session.answers.pop(q.id, None)
            session.skipped.add(q.id)
            return [Change("skip", q.id, old, None)] if q.answerable else []

        return self._apply(session, "advance", apply)

    def back(self, session: Session) -> list[Change]:
        """Go back to the previous answered question (its answer stays until it is changed); at
        the final check, the last one."""
        self._open(session)
        if self.previous(session) is None:
            raise AnswerError("nothing_before")
        return self._apply(session, "back", [])

    def edit(self, session: Session, question_id: str) -> list[Change]:
        """Ask an answered (or skipped) question again so its answer can be changed (also at the
        final check: once answered, the interview comes back to the check)."""
        self._open(session)
        if question_id not in self.flow._index:
            raise AnswerError("unknown_question", {"question": question_id[:40]})
        if question_id not in session.answers and question_id not in session.skipped:
            raise AnswerError("not_answered_yet")
        if not self.is_relevant(question_id, session.answers):
            raise AnswerError("not_relevant")

        def apply() -> list[Change]:
            session.cursor = question_id
            return []

        return self._apply(session, "jump", apply)

    def pause(self, session: Session) -> list[Change]:
        """Pause; :meth:`resume` continues at the same question."""
        if session.state != "asking":
            raise AnswerError(_state_error(session.state))
        return self._apply(session, "pause", [Change("state", old="asking", new="paused")])

    def resume(self, session: Session) -> list[Change]:
        """Continue a paused interview where it stopped."""
        if session.state != "paused":
            raise AnswerError("not_paused" if session.state == "asking" else _state_error(session.state))
        return self._apply(session, "resume", [Change("state", old="paused", new="asking")])

    def finish(self, session: Session) -> list[Change]:
        """Submit the answers and end: at the final check, or earlier when no required question
        that applies is still unanswered."""
        self._open(session)
        missing = self._missing_required(session)
        if missing:
            raise AnswerError("questions_remaining", {"count": missing})
        return self._apply(session, "finish", [Change("state", old="asking", new="finished")])

    def withdraw(self, session: Session) -> list[Change]:
        """Stop taking part; the record is kept and marked withdrawn."""
        if session.state not in OPEN_STATES:
            raise AnswerError(_state_error(session.state))
        return self._apply(session, "withdraw", [Change("state", old=session.state, new="withdrawn")])

    # -- machinery -------------------------------------------------------------------------

    def _open(self, session: Session) -> None:
        """Refuse an event unless the interview is asking (a question, or the final check)."""
        if session.state != "asking":
            raise AnswerError(_state_error(session.state))

    def _asking(self, session: Session) -> Question:
        if session.state != "asking" or session.cursor is None:
            raise AnswerError(_state_error(session.state))
        return self.flow.question(session.cursor)

    def _apply(self, session: Session, trigger: str, changes: Any) -> list[Change]:
        before = session.snapshot()
        try:
            done = changes() if callable(changes) else list(changes)
            if not self.machine.events[trigger].trigger(session):
                raise AnswerError(_state_error(session.state))
        except BaseException:
            session.restore(before)
            raise
        return done

    def _has_pending(self, event: Any) -> bool:
        # The question found here is the one _move_on moves to, in the same event: kept on the
        # event rather than looked for twice (a walk over the whole flow, on every answer).
        event.pending = self.pending(event.model)
        return event.pending is not None

    def _has_previous(self, event: Any) -> bool:
        return self.previous(event.model) is not None

    def _can_finish(self, event: Any) -> bool:
        return self._missing_required(event.model) == 0

    def _missing_required(self, session: Session) -> int:
        known = _known(session.answers)
        missing = 0
        for q in self.flow.questions:
            if q.answerable and q.required and q.id not in session.answers:
                cond = self._conditions.get(q.id)
                if cond is None or cond.evaluate(known):
                    missing += 1
        return missing

    def _move_on(self, event: Any) -> None:
        nxt = event.pending if hasattr(event, "pending") else self.pending(event.model)
        event.model.cursor = nxt.id if nxt else None

    def _move_back(self, event: Any) -> None:
        prev = self.previous(event.model)
        event.model.cursor = prev.id if prev else event.model.cursor

    def _clear_cursor(self, event: Any) -> None:
        event.model.cursor = None


def needs_probe(question: Question, value: Any) -> bool:
    """Whether this answer to ``question`` is thin and its probe has not been asked yet.

    Only a first part on its own can need one: once the probe was answered or skipped the answer
    has two parts and is never probed again.
    """
    probe = question.probe
    if probe is None or not isinstance(value, str) or value == DONT_KNOW or is_media_placeholder(value):
        # A recording is a whole answer in its own right: its placeholder is not thin.
        return False
    return len(answer_parts(value)) == 1 and is_thin(value, probe.min_words, probe.vague)


def probe_question(question: Question) -> Question:
    """The probe of an open question, asked as an optional open question with the same id."""
    probe = question.probe
    assert probe is not None  # callers ask only when needs_probe holds
    return question.model_copy(
        update={"text": probe.text, "hint": probe.hint, "required": False, "probe": None, "relevant": None}
    )


def _known(answers: Mapping[str, Any]) -> Mapping[str, Any]:
    """Answers as conditions see them: "don't know" is no value."""
    if DONT_KNOW not in answers.values():
        return answers
    return {k: v for k, v in answers.items() if v != DONT_KNOW}


def _state_error(state: str) -> str:
    return {
        "new": "not_started",
        "paused": "not_asking",
        "finished": "already_finished",
        "withdrawn": "already_withdrawn",
    }.get(state, "not_asking")


_ENGINES: dict[int, tuple[Flow, Interview]] = {}


def engine_for(flow: Flow) -> Interview:
    """The shared engine of a flow (one machine per flow object, built on first use)."""
    # Asked several times per answer. Kept here by the flow's identity (the flow kept beside it, so
    # an id reused by a new flow is not mistaken for the old one): a private attribute of the
    # pydantic flow cost a slow attribute look-up on every call.
    known = _ENGINES.get(id(flow))
    if known is None or known[0] is not flow:
        if len(_ENGINES) >= 64:  # flows made on the fly (tests, validation): keep it bounded
            _ENGINES.clear()
        known = _ENGINES[id(flow)] = (flow, Interview(flow))
    return known[1]
