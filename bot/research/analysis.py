"""The pseudonymised analysis database: one SQLite file a researcher (or Datasette) can query freely.

``matang export --format sqlite`` writes it and ``matang dashboard`` serves it. It holds, for one
study or all of them: ``studies`` (with their progress counts), ``sessions`` (status, level and
the whole transcript), ``answers`` (values with labels in both languages and one chosen
language), ``criterion_ratings`` (each finished session's rating per criterion), ``organisations``
and ``organisation_criteria`` (the combined assessment per organisation, with disagreements),
``assessments`` (the stored JSON), ``themes`` (when assessments carry them) and ``events`` (the
audit log, identifiers scrubbed).

Nothing identifying is copied: respondents appear only by the same keyed pseudonym as in every
other export; the ``respondents`` table, chat ids, names and usernames are never read into it, so
no SQL query on the file can reach them.

>>> from bot.store import Store
>>> from bot.research.studies import create_study
>>> store = Store.open(":memory:")
>>> _ = create_study(store, "Demo", code="demo01")
>>> counts = write_analysis_db(store, ["demo01"], ":memory:")
>>> counts["studies"], counts["sessions"]
(1, 0)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.store import Store, now

SCHEMA_VERSION = 1
ANSWER_KIND_TEXT = "text"
"""``answers.answer_kind`` of an answer typed or tapped."""
ANSWER_KIND_VOICE = "voice"
"""``answers.answer_kind`` of an answer given (wholly or partly) as a voice recording."""

SCHEMA = """
create table if not exists studies (
    code text primary key, name text, flow_id text, flow_version text, organisation text,
    created_at text, closed_at text,
    invited integer, consented integer, finished integer, in_progress integer, withdrawn integer,
    declined integer, median_minutes real, refreshed_at text, voice_answers integer, voice_seconds integer
);
create table if not exists sessions (
    id integer primary key, study text references studies(code), respondent text, organisation text,
    flow_id text, flow_version text, lang text, status text, started_at text, updated_at text,
    finished_at text, duration_minutes real, answers integer, level integer, level_name text,
    level_name_id text, level_name_en text, capability_level integer, outcome_level integer,
    confidence real, transcript text, voice_answers integer
);
create table if not exists answers (
    id integer primary key, session integer references sessions(id), study text, respondent text,
    organisation text, position integer, section text, question_id text, question_type text,
    answer_kind text, question_text text, question_text_id text, question_text_en text,
    value text, number real, dont_know integer, label text, label_id text, label_en text,
    answered_at text, times_changed integer
);
create table if not exists criterion_ratings (
    session integer references sessions(id), study text, respondent text, organisation text,
    criterion text, criterion_name text, criterion_name_id text, criterion_name_en text,
    level integer, rating text, fulfilment real
);
create table if not exists organisations (
    study text references studies(code), organisation text, respondents integer, level integer,
    level_name text, level_name_id text, level_name_en text, capability_level integer,
    outcome_level integer, confidence real, disagreements text, disagreeing integer
);
create table if not exists organisation_criteria (
    study text references studies(code), organisation text, criterion text, criterion_name text,
    criterion_name_id text, criterion_name_en text, level integer, rating text, fulfilment real,
    respondents integer, disagreement integer
);
create table if not exists assessments (
    session integer primary key references sessions(id), study text, assessment text
);
create table if not exists themes (
    session integer references sessions(id), study text, organisation text, theme_id text,
    label text, label_id text, label_en text, question_id text, start integer, "end" integer,
    text text, part text, choice text
);
create table if not exists events (
    id integer primary key, session integer references sessions(id), study text, seq integer,
    at text, kind text, question_id text, old_value text, new_value text, detail text
);
create table if not exists analysis_meta (key text primary key, value text);
create index if not exists answers_session on answers(session);
create index if not exists answers_question on answers(study, question_id);
create index if not exists ratings_session on criterion_ratings(session);
create index if not exists events_session on events(session);
"""
TABLES = (
    "studies",
    "sessions",
    "answers",
    "criterion_ratings",
    "organisations",
    "organisation_criteria",
    "assessments",
    "themes",
    "events",
)


def _pick(text: Any, lang: str) -> str:
    """One language of a bilingual ``{"id": …, "en": …}`` (a plain string stays itself)."""
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("id") or text.get("en") or "")
    return "" if text is None else str(text)


def _number(value: Any) -> float | None:
    """An answer as a number when it is one (never a bool, never "don't know")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def study_rows(store: Store, codes: Iterable[str], lang: str = "id") -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of the analysis database, as (table, rows) pairs, one study at a time."""
    from bot.research.exports.base import Job, duration_minutes
    from bot.research.exports.transcripts import markdown
    from bot.research.pseudonyms import Pseudonyms
    from bot.research.studies import get_study, study_status
    from scoring.criteria import load_model

    model = load_model()
    pseudonyms = Pseudonyms(store)
    stamp = now()
    for code in codes:
        study = get_study(store, code)
        status = study_status(store, code)
        yield (
            "studies",
            [
                (
                    study.code,
                    study.name,
                    study.flow_id,
                    study.flow_version,
                    study.organisation,
                    study.created_at,
                    study.closed_at,
                    status.invited,
                    status.started,
                    status.finished,
                    status.in_progress,
                    status.withdrawn,
                    status.declined,
                    status.median_minutes,
                    stamp,
                    status.voice_answers,
                    status.voice_seconds,
                )
            ],
        )
        job = Job(store, study, identify=False, lang=lang, pseudonyms=pseudonyms)
        for s, flow, answers in job.sessions_with_answers():
            view = job.view(flow)
            # One stored assessment at a time (several kB each): memory stays flat with the study's size.
            a = _stored_assessment(store, s.id) if s.state == "finished" else None
            minutes = duration_minutes(s)
            voiced = job.recordings(s.id)  # question id -> recordings; empty for typed interviews
            yield (
                "sessions",
                [
                    (
                        s.id,
                        code,
                        s.respondent,
                        s.organisation,
                        s.flow_id,
                        s.flow_version,
                        s.lang,
                        s.status,
                        s.started_at,
                        s.updated_at,
                        s.finished_at,
                        float(minutes) if minutes else None,
                        len(answers),
                        a["level"] if a else None,
                        _pick(a["level_name"], lang) if a else None,
                        _pick(a["level_name"], "id") if a else None,
                        _pick(a["level_name"], "en") if a else None,
                        a["profile"]["capability"] if a else None,
                        a["profile"]["outcome"] if a else None,
                        a["confidence"] if a else None,
                        markdown(job, s, flow, answers),
                        # Counted as `matang study status` counts them: each part of an answer
                        # (the answer itself, its probe) given by a recording is one voice answer.
                        len({(r.question_id, r.part) for recs in voiced.values() for r in recs}),
                    )
                ],
            )
            rows = []
            for n, ans in enumerate(answers, 1):
                q = view.questions.get(ans.question_id) if view is not None else None
                if view is not None:
                    value, label = view.cells(ans, lang)
                    _v, label_id = view.cells(ans, "id")
                    _v, label_en = view.cells(ans, "en")
                else:
                    from bot.research.exports.base import value_text

                    value = label = label_id = label_en = value_text(ans.value)
                rows.append(
                    (
                        None,  # the row id, numbered by SQLite
                        s.id,
                        code,
                        s.respondent,
                        s.organisation,
                        n,
                        q.section if q else None,
                        ans.question_id,
                        q.type if q else None,
                        ANSWER_KIND_VOICE if ans.question_id in voiced else ANSWER_KIND_TEXT,
                        view.text(ans.question_id, lang) if view else "",
                        view.text(ans.question_id, "id") if view else "",
                        view.text(ans.question_id, "en") if view else "",
                        value,
                        _number(ans.value),
                        1 if ans.value == "dont_know" else 0,
                        label,
                        label_id,
                        label_en,
                        ans.answered_at,
                        ans.times_changed,
                    )
                )
            yield "answers", rows
            if a:
                ratings = []
                for c in a.get("criteria", []):
                    known = model.by_id.get(c["id"])
                    name = known.name.model_dump() if known else {"id": c["id"], "en": c["id"]}
                    ratings.append(
                        (
                            s.id,
                            code,
                            s.respondent,
                            s.organisation,
                            c["id"],
                            _pick(name, lang),
                            name["id"],
                            name["en"],
                            c.get("level"),
                            c.get("rating"),
                            c.get("fulfilment"),
                        )
                    )
                yield "criterion_ratings", ratings
                yield "assessments", [(s.id, code, json.dumps(a, ensure_ascii=False))]
                yield "themes", list(_theme_rows(s.id, code, s.organisation, a, lang))
        yield "events", list(_event_rows(job, code))
        for r in status.organisations:
            oa = r.assessment.to_dict()
            yield (
                "organisations",
                [
                    (
                        code,
                        r.name,
                        r.respondents,
                        oa["level"],
                        _pick(oa["level_name"], lang),
                        _pick(oa["level_name"], "id"),
                        _pick(oa["level_name"], "en"),
                        oa["profile"]["capability"],
                        oa["profile"]["outcome"],
                        oa["confidence"],
                        " ".join(oa["disagreements"]),
                        1 if oa["disagreements"] else 0,
                    )
                ],
            )
            crit = []
            for c in oa["criteria"]:
                known = model.by_id.get(c["id"])
                name = known.name.model_dump() if known else {"id": c["id"], "en": c["id"]}
                crit.append(
                    (
                        code,
                        r.name,
                        c["id"],
                        _pick(name, lang),
                        name["id"],
                        name["en"],
                        c.get("level"),
                        c.get("rating"),
                        c.get("fulfilment"),
                        c.get("respondents", 0),
                        1 if c.get("disagreement") else 0,
                    )
                )
            yield "organisation_criteria", crit


def _stored_assessment(store: Store, session_id: int) -> dict[str, Any] | None:
    row = store.db.execute("select assessment from sessions where id = ?", [session_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def _theme_rows(session: int, code: str, organisation: str | None, a: dict[str, Any], lang: str) -> Iterator[tuple]:
    """The themes of an assessment (``themes``: id, bilingual label, sources quoted from answers)."""
    for theme in a.get("themes") or []:
        label = theme.get("label") or {}
        sources = theme.get("sources") or [{}]
        for src in sources:
            yield (
                session,
                code,
                organisation,
                theme.get("id"),
                _pick(label, lang),
                _pick(label, "id"),
                _pick(label, "en"),
                src.get("question"),
                src.get("start"),
                src.get("end"),
                src.get("text"),
                None if src.get("part") is None else str(src.get("part")),
                src.get("choice"),
            )


def _event_rows(job: Any, code: str) -> Iterator[tuple]:
    for s, log in job.sessions_with_events():
        for n, e in enumerate(log, 1):
            yield (e.id, s.id, code, n, e.at, e.kind, e.question_id, e.old_json, e.new_json, e.detail)


def _columns(conn: Any, table: str) -> int:
    return len(conn.execute(f"pragma table_info({table})").fetchall())


def write_analysis_db(store: Store, codes: Iterable[str], out: str | Path, lang: str = "id") -> dict[str, int]:
    """Fill the analysis database at ``out`` with studies ``codes`` and return rows per table.

    The file is replaced in one transaction: a reader (Datasette) sees the previous contents or
    the new ones, never a mix; so the dashboard can refresh it while people look at it. Raises
    :class:`~bot.research.studies.StudyError` for an unknown study.
    """
    import sqlite3

    from bot.research.exports.base import snapshot

    codes = list(codes)
    # A rollback journal, not WAL: Datasette opens the file read-only, and a read-only reader
    # of a WAL database fails once the last writer has removed its -shm file.
    conn = sqlite3.connect(str(out), isolation_level=None, timeout=30)
    try:
        conn.executescript(SCHEMA)
        widths = {t: _columns(conn, t) for t in TABLES}
        counts = dict.fromkeys(TABLES, 0)
        with snapshot(store):
            conn.execute("begin immediate")
            try:
                for table in TABLES:
                    conn.execute(f"delete from {table}")
                for table, rows in study_rows(store, codes, lang):
                    if rows:
                        marks = ",".join("?" * widths[table])
                        conn.executemany(f"insert into {table} values ({marks})", rows)
                        counts[table] += len(rows)
                stamp = now()
                meta = {
                    "schema_version": str(SCHEMA_VERSION),
                    "lang": lang,
                    "studies": " ".join(codes),
                    "refreshed_at": stamp,
                    "checked_at": stamp,
                }
                conn.executemany("insert or replace into analysis_meta values (?, ?)", list(meta.items()))
                conn.execute("commit")
            except BaseException:
                conn.execute("rollback")
                raise
        return counts
    finally:
        conn.close()


def live_fingerprint(store: Store) -> tuple[Any, ...]:
    """What changes whenever anything the analysis database shows changes (events are append-only;
    an erasure or a new study changes the counts)."""
    return tuple(
        store.db.execute(
            "select (select max(id) from events), (select count(*) from events),"
            " (select count(*) from sessions), (select max(updated_at) from sessions),"
            " (select count(*) from studies), (select max(coalesce(closed_at, created_at)) from studies),"
            " (select count(*) from invites)"
        ).fetchone()
    )


def mark_checked(out: str | Path) -> None:
    """Record in ``analysis_meta.checked_at`` that the data was found unchanged just now."""
    import sqlite3

    conn = sqlite3.connect(str(out), isolation_level=None, timeout=30)
    try:
        conn.execute("insert or replace into analysis_meta values ('checked_at', ?)", [now()])
    finally:
        conn.close()


def all_study_codes(store: Store) -> list[str]:
    """Every study's code, oldest first."""
    return [r[0] for r in store.db.execute("select code from studies order by created_at, code").fetchall()]


__all__ = ["SCHEMA_VERSION", "TABLES", "all_study_codes", "live_fingerprint", "mark_checked", "study_rows", "write_analysis_db"]
