"""What every export format shares: reading a study's sessions, answers and events as streams.

Sessions are read with one SQL cursor and their answers (or events) with a second cursor in the
same order, zipped together, so only one session's rows are in memory at a time whatever the size
of the study. Both cursors run inside one read transaction: the export is a consistent snapshot
even while the bot keeps writing (SQLite WAL lets writers go on meanwhile).

Respondents are pseudonymous (see :mod:`bot.research.pseudonyms`) unless ``identify`` is set.
Deleted respondents have no rows left, so they are absent from every export.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import operator
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from json.decoder import scanstring as _scan_string
from pathlib import Path
from typing import Any

from bot.research.pseudonyms import Pseudonyms
from bot.research.studies import Study, declined_sql, session_organisation
from bot.store import Store, loads

STATUS = {"finished": "finished", "withdrawn": "withdrawn", "new": "partial", "asking": "partial", "paused": "partial"}
"""Session state to the export's ``session_status``; a refused consent is ``declined``."""
IDENTITY_COLUMNS = ["respondent_channel", "respondent_external_id", "respondent_name", "respondent_username"]


class ExportError(ValueError):
    """An export that cannot be written (bad output path, unknown format); one line."""


@dataclass
class ExportResult:
    """What an export wrote."""

    format: str
    paths: list[Path]
    sessions: int = 0
    rows: int = 0
    identify: bool = False
    unit: str = "row"
    """What one of ``rows`` is (an answer row, a coded selection…), said in the summary."""
    empty: int = 0
    """Sessions that gave no row at all (consent declined, or stopped before any answer)."""
    note: str = ""

    def summary(self) -> str:
        """One line for people: what was written, and why some sessions gave no rows.

        >>> ExportResult("csv", [Path("x.csv")], sessions=8, rows=53, unit="answer row", empty=1).summary()
        'csv: 53 answer row(s) from 7 session(s) (1 more session has no answers: declined or not begun), pseudonymous, written to x.csv'
        """
        where = ", ".join(str(p) for p in self.paths)
        kind = "identifying" if self.identify else "pseudonymous"
        if self.empty:
            more = "1 more session has" if self.empty == 1 else f"{self.empty} more sessions have"
            counted = f"{self.rows} {self.unit}(s) from {self.sessions - self.empty} session(s) ({more} no answers: declined or not begun)"
        else:
            counted = f"{self.rows} {self.unit}(s) from {self.sessions} session(s)"
        note = f" [{self.note}]" if self.note else ""
        return f"{self.format}: {counted}{note}, {kind}, written to {where}"


@dataclass(slots=True)
class SessionInfo:
    """One session as exports see it (never the chat id; identity only when asked for)."""

    id: int
    respondent: str
    respondent_id: int
    channel: str
    external_id: str
    name: str | None
    username: str | None
    fixed_organisation: str | None
    flow_id: str
    flow_version: str
    lang: str
    state: str
    status: str
    started_at: str
    updated_at: str
    finished_at: str | None
    level: int | None
    """The level of the assessment stored when the interview finished (None before)."""
    assessment_json: str | None
    """The whole stored assessment, read only by the formats that write it."""
    organisation: str | None = None

    @property
    def assessment(self) -> dict[str, Any] | None:
        """The stored assessment (None for unfinished sessions, or when not read)."""
        return loads(self.assessment_json)


VALUE_CACHE = 4096
VALUE_LENGTH = 64
_MISSING = object()


@dataclass(slots=True)
class AnswerRow:
    """One stored answer of a session (``raw``: its JSON as stored)."""

    question_id: str
    value: Any
    first_answered_at: str | None
    answered_at: str
    times_changed: int
    raw: str = ""


class FlowView:
    """Look-ups on one flow that exports make millions of times, computed once.

    A pydantic model's attribute access is slow next to a dict; and most answers are choices, so
    their cells (value and label) repeat and are cached, up to :data:`CELL_CACHE` of them.
    """

    CELL_CACHE = 20_000

    def __init__(self, flow: Any) -> None:
        from interview_flows.engine import engine_for

        self.flow = flow
        self.engine = engine_for(flow)
        self.questions = {q.id: q for q in flow.questions}
        self.position = {q.id: i for i, q in enumerate(flow.questions)}
        self.texts = {lang: {q.id: q.text.get(lang) for q in flow.questions} for lang in ("id", "en")}
        self.free_text = {q.id for q in flow.questions if q.type == "text"}
        self.variables = flow.variables()
        self._cells: dict[tuple[str, str, str], tuple[str, str]] = {}

    def text(self, question_id: str, lang: str) -> str:
        """A question's text ('' for a question the flow does not have)."""
        return self.texts["en" if lang == "en" else "id"].get(question_id, "")

    def cells(self, a: AnswerRow, lang: str) -> tuple[str, str]:
        """An answer's value cell and label cell."""
        if a.question_id in self.free_text:
            text = value_text(a.value)
            return text, text
        key = (a.question_id, a.raw, lang)
        found = self._cells.get(key)
        if found is None:
            q = self.questions.get(a.question_id)
            if q is None:
                found = (value_text(a.value), value_text(a.value))
            else:
                from interview_flows.answers import describe_answer

                found = (value_text(a.value), describe_answer(q, a.value, lang))
            if len(self._cells) < self.CELL_CACHE:
                self._cells[key] = found
        return found


@dataclass(slots=True)
class EventRow:
    """One event of a session's append-only log; old and new values as their stored JSON."""

    id: int
    at: str
    kind: str
    question_id: str | None
    old_json: str | None
    new_json: str | None
    detail: str | None

    @property
    def old(self) -> Any:
        """The value before the event."""
        return loads(self.old_json)

    @property
    def new(self) -> Any:
        """The value after the event."""
        return loads(self.new_json)


_LEVEL_COLUMN = "json_extract(s.assessment, '$.level')"
SESSION_COLUMNS = (
    "s.id, s.respondent_id, r.channel, r.external_id, r.name, r.username, s.organisation,"
    " s.flow_id, s.flow_version, s.lang, s.state, s.started_at, s.updated_at, s.finished_at, " + _LEVEL_COLUMN
)


@dataclass
class Job:
    """One export of one study: the store, the study, and whether respondents are identified."""

    store: Store
    study: Study
    identify: bool = False
    lang: str | None = None
    raw: bool = False
    """Write CSV cells verbatim, even those a spreadsheet would run as a formula (see
    :func:`spreadsheet_text`)."""
    pseudonyms: Pseudonyms | None = None
    _flows: dict[tuple[str, str], Any] = field(default_factory=dict)
    _views: dict[tuple[str, str], FlowView] = field(default_factory=dict)
    _values: dict[str | None, Any] = field(default_factory=dict)
    _has_recordings: bool | None = None
    _voiced: set[int] | None = None

    def __post_init__(self) -> None:
        if self.pseudonyms is None:
            self.pseudonyms = Pseudonyms(self.store)

    @property
    def conn(self) -> Any:
        """The raw sqlite3 connection (tuples are faster than dicts for millions of rows)."""
        return self.store.db.conn

    def flow(self, flow_id: str, version: str) -> Any:
        """The flow at a version, or None when this installation no longer has it."""
        key = (flow_id, version)
        if key not in self._flows:
            from interview_flows.loader import load_flow

            try:
                self._flows[key] = load_flow(flow_id, version)
            except KeyError:
                self._flows[key] = None
        return self._flows[key]

    def view(self, flow: Any) -> FlowView | None:
        """The cached look-ups of a flow (None for None)."""
        if flow is None:
            return None
        key = (flow.id, flow.version)
        if key not in self._views:
            self._views[key] = FlowView(flow)
        return self._views[key]

    def study_flow(self) -> Any:
        """The flow and version the study fixed."""
        return self.flow(self.study.flow_id, self.study.flow_version)

    def text_lang(self, session_lang: str | None = None) -> str:
        """The language of question texts and labels: the export's, else the session's."""
        return self.lang or (session_lang if session_lang in ("id", "en") else "id")

    # -- reading ---------------------------------------------------------------------------

    def _sessions_cursor(self, assessment: bool = False, level: bool = True) -> Iterator[tuple[Any, ...]]:
        # A stored assessment is several kB: read it only for the formats that write it, and
        # parse it for the level only for those that write the level.
        columns = SESSION_COLUMNS if level else SESSION_COLUMNS.replace(_LEVEL_COLUMN, "null")
        return self.conn.execute(
            f"select {columns}, {'s.assessment' if assessment else 'null'}, {declined_sql()} from sessions s"
            " join respondents r on r.id = s.respondent_id where s.study_code = ? order by s.id",
            [self.study.code],
        )

    def _session(self, row: tuple[Any, ...]) -> SessionInfo:
        (
            sid,
            rid,
            channel,
            external_id,
            name,
            username,
            org,
            flow_id,
            version,
            lang,
            state,
            started,
            updated,
            finished,
            level,
            assessment,
            declined,
        ) = row
        assert self.pseudonyms is not None
        return SessionInfo(
            id=sid,
            respondent=self.pseudonyms(channel, external_id),
            respondent_id=rid,
            channel=channel,
            external_id=str(external_id),
            name=name,
            username=username,
            fixed_organisation=org,
            flow_id=flow_id,
            flow_version=version,
            lang=lang,
            state=state,
            status="declined" if declined else STATUS.get(state, state),
            started_at=started,
            updated_at=updated,
            finished_at=finished,
            level=None if level is None else int(level),
            assessment_json=assessment,
        )

    def sessions(self, *, assessment: bool = False) -> Iterator[SessionInfo]:
        """Every session of the study, oldest first, with its organisation resolved."""
        for row in self._sessions_cursor(assessment):
            s = self._session(row)
            s.organisation = self._organisation_of(s, None)
            yield s

    def sessions_with_answers(
        self, *, effective: bool = True, level: bool = True
    ) -> Iterator[tuple[SessionInfo, Any, list[AnswerRow]]]:
        """Each session with its flow and its answers in flow order.

        ``effective`` leaves out answers to questions that no longer apply (the respondent went
        back and changed an earlier answer); they stay in the event log and the JSON lines.
        Without ``level`` the sessions' ``level`` is None (it is read from the stored assessment,
        which costs a JSON parse per session).
        """
        answers = self.conn.execute(
            "select a.session_id, a.question_id, a.value, a.first_answered_at, a.answered_at, a.times_changed"
            " from sessions s join answers a on a.session_id = s.id where s.study_code = ?"
            " order by s.id",
            [self.study.code],
        )
        for row, group in zip_groups(self._sessions_cursor(level=level), answers):
            s = self._session(row)
            flow = self.flow(s.flow_id, s.flow_version)
            known, decode = self._values.get, self._value
            rows = []
            for a in group:
                raw = a[2]
                value = known(raw, _MISSING)
                rows.append(AnswerRow(a[1], decode(raw) if value is _MISSING else value, a[3], a[4], a[5] or 0, raw))
            view = self.view(flow)
            values = None
            if view is not None:
                if effective:
                    # The answers that count, in flow order (a session answers a question once).
                    by_id = {a.question_id: a for a in rows}
                    values = view.engine.effective_answers({q: a.value for q, a in by_id.items()})
                    rows = [by_id[qid] for qid in values]
                else:
                    position = view.position
                    rows.sort(key=lambda a: position.get(a.question_id, 1 << 30))
            if values is None:
                values = {a.question_id: a.value for a in rows}
            s.organisation = self._organisation_of(s, values, flow)
            yield s, flow, rows

    def sessions_with_answer_rows(
        self,
    ) -> Iterator[tuple[SessionInfo, Any, dict[str, Any], dict[str, tuple[Any, ...]]]]:
        """Each session with its flow, its effective answers (question id to value, in flow
        order, as :meth:`sessions_with_answers` gives them) and the stored row of each answer
        by question id: ``(session_id, question_id, raw JSON, answered_at, times_changed)``.

        The long CSV's reading, which writes neither level nor organisation: neither is read
        (``level`` and ``organisation`` stay None), and no :class:`AnswerRow` is made. A value
        may be the same object in several sessions: read it, never change it.
        """
        answers = self.conn.execute(
            "select a.session_id, a.question_id, a.value, a.answered_at, a.times_changed"
            " from sessions s join answers a on a.session_id = s.id where s.study_code = ?"
            " order by s.id",
            [self.study.code],
        )
        known, decode = self._values.get, self._value
        # The ticked options of a multiple choice recur too; a list is mutable, so unlike the
        # values of _values these are shared only with this reading's caller, which reads them.
        lists: dict[str, Any] = {}
        for row, group in zip_groups(self._sessions_cursor(level=False), answers):
            s = self._session(row)
            flow = self.flow(s.flow_id, s.flow_version)
            view = self.view(flow)
            # Dict comprehensions: the loop over a session's answers runs in C but for the look-up.
            values = {a[1]: known(a[2], _MISSING) for a in group}
            by_id = {a[1]: a for a in group}
            for qid, value in values.items():
                if value is _MISSING:
                    raw = by_id[qid][2]
                    value = lists.get(raw, _MISSING)
                    if value is _MISSING:
                        value = decode(raw)
                        if value.__class__ is list and len(raw) <= 4 * VALUE_LENGTH:
                            if len(lists) >= VALUE_CACHE:
                                lists.clear()
                            lists[raw] = value
                    values[qid] = value
            if view is not None:
                values = view.engine.effective_answers(values)
            yield s, flow, values, by_id

    def _value(self, raw: str | None) -> Any:
        """A stored answer's value, decoded. Most are one of a few choices: those that are a text,
        a number or a boolean (immutable) are kept in ``_values``, up to ``VALUE_CACHE`` of them,
        so the next session's same answer is a look-up."""
        found = self._values.get(raw, _MISSING)
        if found is _MISSING:
            found = _MISSING
            if raw is not None and raw[:1] == '"':
                # An open answer is a JSON string: its scanner alone, without json.loads's
                # wrappers, is a third of the cost; the same value when it ends the text.
                text, end = _scan_string(raw, 1)
                if end == len(raw):
                    found = text
            if found is _MISSING:
                found = loads(raw)
            # Long texts are open answers, each said once: not worth keeping.
            if (raw is None or len(raw) <= VALUE_LENGTH) and (found is None or found.__class__ in (str, int, float, bool)):
                if len(self._values) >= VALUE_CACHE:
                    self._values.clear()
                self._values[raw] = found
        return found

    def sessions_with_events(self, *, assessment: bool = False) -> Iterator[tuple[SessionInfo, list[EventRow]]]:
        """Each session with its whole event log, in order."""
        for s, group in self.sessions_with_event_rows(assessment=assessment):
            yield s, [EventRow(e[1], e[2], e[3], e[4], e[5], e[6], self.scrub(s, e[7])) for e in group]

    def sessions_with_event_rows(self, *, assessment: bool = False) -> Iterator[tuple[SessionInfo, list[tuple[Any, ...]]]]:
        """Each session with its whole event log as stored rows, in order: ``(session_id, id, at,
        kind, question_id, old JSON, new JSON, detail)``, the detail not yet :meth:`scrub`-bed
        (the JSON lines' reading: no :class:`EventRow` per event)."""
        events = self.conn.execute(
            "select e.session_id, e.id, e.at, e.kind, e.question_id, e.old_value, e.new_value, e.detail"
            " from sessions s join events e on e.session_id = s.id where s.study_code = ?"
            " order by s.id, e.id",
            [self.study.code],
        )
        for row, group in zip_groups(self._sessions_cursor(assessment), events):
            s = self._session(row)
            s.organisation = self._organisation_of(s, None)
            yield s, group

    def _organisation_of(self, s: SessionInfo, answers: dict[str, Any] | None, flow: Any = None) -> str | None:
        fixed = s.fixed_organisation or self.study.organisation
        if fixed:
            return fixed
        view = self.view(flow or self.flow(s.flow_id, s.flow_version))
        question = view.variables.get("organisation") if view is not None else None
        if question is None:
            return None
        if answers is None:
            row = self.conn.execute(
                "select value from answers where session_id = ? and question_id = ?", [s.id, question]
            ).fetchone()
            answers = {question: loads(row[0])} if row else {}
        return session_organisation(None, answers, question)

    # -- recordings ------------------------------------------------------------------------

    def recordings(self, session_id: int) -> dict[str, list[Any]]:
        """The voice answers of a session by question id (:class:`bot.recordings.Recording`)."""
        from bot.recordings import recordings_by_question

        if self._voiced is None:
            # Once per export: which sessions have recordings at all. Most have none, and a query
            # per session would cost every export of a large study for nothing.
            self._has_recordings = bool(self.conn.execute(
                "select 1 from sqlite_master where type = 'table' and name = 'recordings'").fetchone())
            self._voiced = {row[0] for row in self.conn.execute(
                "select distinct r.session_id from recordings r join sessions s on s.id = r.session_id"
                " where s.study_code = ?", [self.study.code])} if self._has_recordings else set()
        return recordings_by_question(self.store.db, session_id) if session_id in self._voiced else {}

    def audio_source(self, rec: Any) -> Path:
        """Where a recording's audio is kept (the files folder beside the database)."""
        from bot.recordings import files_dir

        return files_dir(self.store.db) / rec.file

    def copy_audio(self, recs: Iterable[Any], folder: Path) -> int:
        """Copy the audio of ``recs`` into ``folder`` (made owner-only); how many were copied.

        A file erased since the export's snapshot began is left out: the respondent asked for it
        to go, and ``matang health`` names any file missing for another reason.
        """
        copied = 0
        for rec in recs:
            try:
                data = self.audio_source(rec).read_bytes()
            except FileNotFoundError:
                continue
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            target = folder / rec.file
            fd = os.open(target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            copied += 1
        return copied

    def audio_bytes(self, rec: Any) -> bytes | None:
        """A recording's audio (None when its file is gone)."""
        try:
            return self.audio_source(rec).read_bytes()
        except FileNotFoundError:
            return None

    # -- identity --------------------------------------------------------------------------

    def identity_header(self) -> list[str]:
        """The identity columns, present only in identifying exports."""
        return IDENTITY_COLUMNS if self.identify else []

    def identity(self, s: SessionInfo) -> list[Any]:
        """A session's identity values (empty unless identifying)."""
        return [s.channel, s.external_id, s.name or "", s.username or ""] if self.identify else []

    def scrub(self, s: SessionInfo, text: str | None) -> str | None:
        """Free metadata text (an event's ``detail``) with the respondent's identifiers masked.

        A channel may log a command with a user id in it; a pseudonymous export must not carry it.
        """
        if text is None or self.identify:
            return text
        for secret in (s.external_id, s.username, s.name):
            if secret and len(secret) >= 3 and secret in text:
                text = text.replace(secret, s.respondent)
        return text


def zip_groups(
    parents: Iterable[tuple[Any, ...]], children: Iterable[tuple[Any, ...]]
) -> Iterator[tuple[Any, list[Any]]]:
    """Pair each parent row (key in column 0) with the child rows whose column 0 equals it.

    Both inputs are ordered by that key ascending; children without a parent are skipped.

    >>> [(p[0], [c[1] for c in g]) for p, g in zip_groups([(1,), (2,), (4,)], [(1, "a"), (1, "b"), (3, "x"), (4, "c")])]
    [(1, ['a', 'b']), (2, []), (4, ['c'])]
    """
    # groupby walks the children in C; only a parent's own group is turned into a list.
    groups = itertools.groupby(children, operator.itemgetter(0))
    current = next(groups, None)
    for parent in parents:
        key = parent[0]
        while current is not None and current[0] < key:
            current = next(groups, None)
        if current is not None and current[0] == key:
            group = list(current[1])
            current = next(groups, None)
        else:
            group = []
        yield parent, group


@contextlib.contextmanager
def snapshot(store: Store) -> Iterator[None]:
    """A read transaction: every query inside sees the database as it was at the first one."""
    conn = store.db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("begin")
    try:
        yield
    finally:
        conn.execute("rollback")


# -- values ------------------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """A stored answer as a cell: choice values separated by spaces (as XLSForm/ODK do).

    >>> value_text(["fb", "ig"]), value_text(3), value_text(2.5), value_text(None)
    ('fb ig', '3', '2.5', '')
    """
    if value is None:
        return ""
    if isinstance(value, dict):
        # An open answer in parts: this cell holds the first part; later parts get cells of their own.
        from interview_flows.answers import answer_parts

        first = answer_parts(value)[:1]
        return str(first[0].get("text", "")) if first else ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


FORMULA_STARTS = frozenset("=+-@\t\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP, "CSV injection")."""
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def spreadsheet_text(value: Any) -> Any:
    """A CSV cell that Excel and LibreOffice show as typed and never run as a formula.

    A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'`` (OWASP's advice): a respondent's answer ``=HYPERLINK(…)`` must not become a live link or
    a command in a researcher's spreadsheet. Numbers, and texts that are a plain number such as
    ``-3``, are left alone: a spreadsheet reads those as numbers, not formulas.

    >>> spreadsheet_text("=1+1"), spreadsheet_text("-2+3"), spreadsheet_text("-3"), spreadsheet_text(-3)
    ("'=1+1", "'-2+3", '-3', -3)
    """
    if value.__class__ is str and value[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _SpreadsheetSafeWriter:
    """A ``csv.writer`` whose cells pass through :func:`spreadsheet_text`."""

    def __init__(self, fh: Any) -> None:
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, formulas neutralised."""
        # map() rather than a list comprehension: as fast as the rule written inline (measured,
        # 500,000 rows), so the rule lives in spreadsheet_text only.
        return self._writer.writerow(map(spreadsheet_text, row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows, formulas neutralised."""
        for row in rows:
            self.writerow(row)


_QUOTED_WHEN = re.compile(r'[,"\r\n]')
"""What makes ``csv.writer`` (the default dialect) quote a text cell."""


def needs_quotes(text: str) -> bool:
    """Whether ``csv.writer`` (the default dialect) quotes this text: :data:`_QUOTED_WHEN`.

    Four scans for one character each: a quarter of the regular expression's time on a time
    stamp, less still on a long open answer (measured), and exports ask it for millions of cells.

    >>> needs_quotes("2025-03-01T10:00:00+07:00"), needs_quotes('a "b"'), needs_quotes("a\\nb")
    (False, True, True)
    """
    return "," in text or '"' in text or "\n" in text or "\r" in text


def csv_cell(value: Any) -> str:
    """One cell as ``csv.writer`` writes it in a row of more than one cell (default dialect).

    A text without a comma, a quote or a line break is written as it is, one with them quoted,
    an int as its digits; anything else goes through ``csv.writer`` itself (a Hypothesis
    property in tests/test_fast_paths.py holds the two together).

    >>> [csv_cell("ya"), csv_cell("a, b"), csv_cell(3), csv_cell(None), csv_cell(2.5)]
    ['ya', '"a, b"', '3', '', '2.5']
    """
    cls = value.__class__
    if cls is str:
        if not needs_quotes(value):
            return value
        # Quoted, its quotes doubled: what the default dialect writes (doublequote, no escapechar).
        return '"' + value.replace('"', '""') + '"'
    elif value is None:
        return ""
    elif cls is int:
        return str(value)
    buffer = io.StringIO()
    csv.writer(buffer).writerow((value, ""))
    return buffer.getvalue()[:-3]  # less the empty second cell's comma and the line end


class CsvCells:
    """Cells written as ``csv_writer`` would write them (formulas neutralised unless ``raw``), for
    exports that write whole lines: a cell that recurs (a question text, a choice label) is
    written once, up to :data:`CACHE` of them, so memory stays flat however large the study."""

    CACHE = 4096

    def __init__(self, raw: bool) -> None:
        self.raw = raw
        self._known: dict[str, str] = {}

    def cell(self, value: Any) -> str:
        """One cell."""
        return csv_cell(value if self.raw else spreadsheet_text(value))

    def recurring(self, value: Any) -> str:
        """One cell that recurs: written once and remembered (texts only)."""
        if value.__class__ is not str:
            return self.cell(value)
        found = self._known.get(value)
        if found is None:
            found = self.cell(value)
            if len(self._known) >= self.CACHE:
                self._known.clear()
            self._known[value] = found
        return found


def csv_writer(fh: Any, job: Job) -> Any:
    """The CSV writer of an export: cells safe to open in a spreadsheet unless ``job.raw``."""
    return csv.writer(fh) if job.raw else _SpreadsheetSafeWriter(fh)


PART_WORDS = {
    "probe": {"id": "Pertanyaan lanjutan", "en": "Follow-up question"},
    "skipped": {"id": "(dilewati)", "en": "(skipped)"},
}


def later_parts(flow: Any, question_id: str, value: Any, lang: str) -> list[tuple[str, str, str]]:
    """The parts of an open answer after the first, as ``(column, prompt, text)``: the column is
    ``<question>__<kind>`` (``l2_example__probe``), the prompt is what was asked (the probe's text),
    the text is the answer, or "(skipped)". Empty for a plain answer."""
    if not isinstance(value, dict):
        return []
    from interview_flows.answers import answer_parts

    q = flow.question(question_id) if flow is not None and question_id in flow._index else None
    out = []
    for part in answer_parts(value)[1:]:
        kind = str(part.get("kind", "part"))
        prompt = q.probe.text.get(lang) if kind == "probe" and q is not None and q.probe is not None else ""
        text = str(part["text"]) if part.get("text") else PART_WORDS["skipped"]["en" if lang == "en" else "id"]
        out.append((f"{question_id}__{kind}", prompt, text))
    return out


FIRST_PART = 1
"""A recording's ``part`` when it answers the question itself; part ``n + 2`` answers the
``n``-th of :func:`later_parts` (the probe is part 2)."""


def of_part(recs: Iterable[Any], part: int) -> list[Any]:
    """The recordings (:class:`bot.recordings.Recording`) that answer one part of an answer."""
    return [r for r in recs if r.part == part]


def part_column(question_id: str, part: int, value: Any = None) -> str:
    """The column a part of an answer is exported under: the question's own for part 1, else
    ``<question>__<kind>`` as :func:`later_parts` names it (``how__probe``). Without the answer's
    value a later part is the probe, the only later part an interview asks.

    >>> part_column("how", 1, "ada"), part_column("how", 2, {"parts": [{"kind": "text"}, {"kind": "probe"}]})
    ('how', 'how__probe')
    """
    if part <= FIRST_PART:
        return question_id
    from interview_flows.answers import answer_parts

    parts = answer_parts(value)
    kind = str(parts[part - 1].get("kind", "part")) if len(parts) >= part else "probe"
    return f"{question_id}__{kind}"


def label_text(flow: Any, question_id: str, value: Any, lang: str) -> str:
    """The answer as the respondent read it (choice labels in ``lang``)."""
    if flow is None or question_id not in flow._index:
        return value_text(value)
    from interview_flows.answers import describe_answer

    return describe_answer(flow.question(question_id), value, lang)


def question_text(flow: Any, question_id: str, lang: str) -> str:
    """A question's text in ``lang`` ('' when the flow does not know it)."""
    if flow is None or question_id not in flow._index:
        return ""
    return flow.question(question_id).text.get(lang)


def duration_minutes(s: SessionInfo) -> str:
    """Minutes from start to finish, one decimal ('' for an unfinished session)."""
    if not s.finished_at:
        return ""
    from datetime import datetime

    delta = datetime.fromisoformat(s.finished_at) - datetime.fromisoformat(s.started_at)
    return f"{delta.total_seconds() / 60:.1f}"


# -- output paths ------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Write a file under a temporary name beside ``path`` and move it into place on success.

    An export that fails half-way leaves no half-written file behind; the file is readable by
    its owner only, since exports hold interview data.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """A directory built under a temporary name and moved to ``path`` on success (replacing it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            if not path.is_dir():
                raise ExportError(f"{path}: exists and is not a directory")
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# -- voice answers -----------------------------------------------------------------------------

AUDIO_FOLDER = "audio"
"""Where archives (transcripts, the audio beside a single-file export) keep the recordings."""
_VOICE_WORDS = {"id": "[jawaban suara, {duration}, berkas {file}]", "en": "[voice answer, {duration}, file {file}]"}
_TRANSCRIPT_WORDS = {"id": "Transkrip otomatis: {text}", "en": "Automatic transcript: {text}"}


def voice_note(rec: Any, lang: str, prefix: str = AUDIO_FOLDER + "/") -> str:
    """A recording as a transcript line: ``[jawaban suara, 0:42, berkas audio/….ogg]``."""
    words = _VOICE_WORDS["en" if lang == "en" else "id"]
    line = words.format(duration=rec.clock, file=prefix + rec.file)
    if rec.transcript:
        line += "\n" + _TRANSCRIPT_WORDS["en" if lang == "en" else "id"].format(text=rec.transcript)
    return line


def audio_beside(out: Path) -> Path:
    """The folder of audio files written beside a single-file export: ``study.csv`` → ``study-audio``.

    >>> audio_beside(Path("/tmp/study.csv")).name
    'study-audio'
    """
    return out.with_name(out.stem + "-" + AUDIO_FOLDER)


def copy_study_audio(job: Job, out: Path, result: ExportResult) -> int:
    """Write the audio of every voice answer of the study beside a single-file export (in
    :func:`audio_beside`), adding the folder to ``result.paths``; how many files were written."""
    from bot.recordings import all_recordings

    if job._has_recordings is False:
        return 0
    ids = [row[0] for row in job.conn.execute("select id from sessions where study_code = ?", [job.study.code])]
    try:
        recs = all_recordings(job.store.db, ids)
    except Exception:  # a database from before voice answers: nothing to copy
        return 0
    if not recs:
        return 0
    folder = audio_beside(out)
    if folder.exists():
        shutil.rmtree(folder)  # an older export's audio: the folder must match this export
    copied = job.copy_audio(recs, folder)
    if copied:
        result.paths.append(folder)
    return copied


Writer = Callable[[Job, Path], ExportResult]
